import { useCallback, useEffect, useState } from "react";
import { asApiError, type ApiError } from "../api/errors";
import type { TypedDocumentString } from "../api/generated/graphql";
import { useSession } from "../session";

/** One GraphQL query with loading, error and a reload; `every` re-reads it (live VM state). */
export function useQuery<T, V extends Record<string, unknown>>(query: TypedDocumentString<T, V>, variables: V | undefined, every = 0) {
  const { api } = useSession();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  const key = JSON.stringify(variables ?? null);
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    (api.request as (d: TypedDocumentString<T, V>, v: V | undefined, s: AbortSignal) => Promise<T>)(query, variables, controller.signal).then(
      (d) => {
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (controller.signal.aborted) return;
        setError(asApiError(e));
        setLoading(false);
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, query, key, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  useEffect(() => {
    if (!every) return;
    const timer = setInterval(reload, every);
    return () => clearInterval(timer);
  }, [every, reload]);
  return { data, error, loading, reload };
}
