import { useCallback, useEffect, useState } from "react";
import type { TypedDocumentString } from "./generated/graphql";
import { asApiError, type ApiError } from "./errors";
import { useSession } from "../session";

/**
 * One query, refetched when its variables change, on reload(), and every `every` ms when given
 * (live VM state); the last answer stays while loading.
 */
export function useQuery<T, V>(document: TypedDocumentString<T, V>, variables?: V, every = 0) {
  const { api } = useSession();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  const key = JSON.stringify(variables ?? null);
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    (api.request as (d: TypedDocumentString<T, V>, v?: V, s?: AbortSignal) => Promise<T>)(
      document,
      JSON.parse(key) ?? undefined,
      controller.signal,
    ).then(
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
  }, [api, document, key, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  useEffect(() => {
    if (!every) return;
    const timer = setInterval(reload, every);
    return () => clearInterval(timer);
  }, [every, reload]);
  return { data, error, loading, reload };
}

/** A mutation's state for a form or a button: busy while in flight, the error until the next try. */
export function useMutation() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(async <R>(action: () => Promise<R>): Promise<R | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (e) {
      setError(asApiError(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(null) };
}
