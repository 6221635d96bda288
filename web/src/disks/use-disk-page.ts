import { useCallback, useEffect, useRef, useState } from "react";
import type { Api } from "../api/client";
import { asApiError, type ApiError } from "../api/errors";
import { fetchDisks } from "./fetch-disks";
import type { DiskConnection, DiskFilter, DiskOrder } from "../api/types";

export interface DiskQuery {
  filter: DiskFilter;
  orderBy: DiskOrder;
  pageSize: number;
}

interface Cached {
  at: number;
  data: DiskConnection;
}

/** A page fetched less than this long ago (a prefetch, or Back) is shown without asking again. */
const FRESH_MS = 10_000;

/**
 * Cursor paging over `disks`: the cursors of the pages before this one are kept so Previous
 * works, the next page is prefetched so Next is instant, and the rows on screen stay until their
 * replacement arrives (no flash of an empty table). Changing the query starts at page 1.
 */
export function useDiskPage(api: Api, query: DiskQuery) {
  const key = JSON.stringify(query);
  const [nav, setNav] = useState<{ key: string; cursors: (string | null)[] }>({ key, cursors: [null] });
  const cursors = nav.key === key ? nav.cursors : [null];
  const pageIndex = cursors.length - 1;
  const after = cursors[pageIndex];
  // The rows on screen and the page they are, which lags `pageIndex` while the next page loads.
  const [shown, setShown] = useState<{ data: DiskConnection; pageIndex: number; key: string } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  const cache = useRef(new Map<string, Cached>());

  const varsFor = useCallback(
    (cursor: string | null) => ({ first: query.pageSize, after: cursor, filter: query.filter, orderBy: query.orderBy }),
    [query],
  );

  useEffect(() => {
    const vars = varsFor(after);
    const cacheKey = JSON.stringify(vars);
    const hit = cache.current.get(cacheKey);
    if (hit) setShown({ data: hit.data, pageIndex, key });
    if (hit && Date.now() - hit.at < FRESH_MS) {
      setLoading(false);
      setError(null);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    fetchDisks(api, vars, controller.signal)
      .then((disks) => {
        cache.current.set(cacheKey, { at: Date.now(), data: disks });
        setShown({ data: disks, pageIndex, key });
        setError(null);
        setLoading(false);
        const next = disks.pageInfo.hasNextPage ? varsFor(disks.pageInfo.endCursor) : null;
        if (next && !cache.current.has(JSON.stringify(next))) {
          fetchDisks(api, next).then(
            (page) => cache.current.set(JSON.stringify(next), { at: Date.now(), data: page }),
            () => {},
          );
        }
      })
      .catch((e) => {
        if (controller.signal.aborted) return;
        setError(asApiError(e));
        setLoading(false);
      });
    return () => controller.abort();
  }, [api, after, pageIndex, key, varsFor, version]);

  const data = shown?.data ?? null;
  const next = useCallback(() => {
    // From the page on screen, so a double click does not skip the page still loading.
    const end = data?.pageInfo.endCursor;
    if (data?.pageInfo.hasNextPage && end && shown?.pageIndex === pageIndex && shown.key === key)
      setNav({ key, cursors: [...cursors, end] });
  }, [data, key, cursors, shown, pageIndex]);
  const previous = useCallback(() => {
    if (cursors.length > 1) setNav({ key, cursors: cursors.slice(0, -1) });
  }, [key, cursors]);
  const first = useCallback(() => setNav({ key, cursors: [null] }), [key]);
  /** Drops every cached page and refetches this one (after jobs changed disks). */
  const refresh = useCallback(() => {
    cache.current.clear();
    setVersion((v) => v + 1);
  }, []);

  return { data, error, loading, pageIndex: shown?.pageIndex ?? 0, next, previous, first, refresh };
}
