import { useCallback, useEffect, useRef, useState } from "react";
import type { Api } from "../api/client";
import { asApiError, type ApiError } from "../api/errors";
import { JOBS } from "../api/operations";
import type { Job, JobState } from "../api/types";
import { laterJob, useJobEvents } from "./use-job-events";

export type StateFilter = "ALL" | "ACTIVE" | "SUCCEEDED" | "FAILED" | "CANCELLED";

const STATES: Record<StateFilter, JobState[] | null> = {
  ALL: null,
  ACTIVE: ["QUEUED", "RUNNING"],
  SUCCEEDED: ["SUCCEEDED"],
  FAILED: ["FAILED"],
  CANCELLED: ["CANCELLED"],
};

const PAGE = 50;
const MAX_PAGE = 500;

/**
 * Job history, newest first, kept current by `sparsifyJobEvents`: a change updates its row, a new
 * job goes on top, a job that leaves the filter (e.g. ends while "Active" is shown) leaves the
 * list. After a lost WebSocket came back, the rows shown are fetched again.
 */
export function useJobHistory(api: Api, filter: StateFilter) {
  const states = STATES[filter];
  const [jobs, setJobs] = useState<Job[]>([]);
  const [total, setTotal] = useState(0);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasNext, setHasNext] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const generation = useRef(0);
  const listRef = useRef(jobs);
  listRef.current = jobs;

  const load = useCallback(
    async (after: string | null, first: number) => {
      const mine = ++generation.current;
      setLoading(true);
      try {
        const { sparsifyJobs } = await api.request(JOBS, { first, after, filter: states ? { states } : null });
        if (mine !== generation.current) return;
        const page = sparsifyJobs.edges.map((e) => e.node);
        setJobs((current) => (after ? [...current, ...page.filter((j) => !current.some((c) => c.id === j.id))] : page));
        setTotal(sparsifyJobs.totalCount);
        setCursor(sparsifyJobs.pageInfo.endCursor);
        setHasNext(sparsifyJobs.pageInfo.hasNextPage);
        setError(null);
      } catch (e) {
        if (mine === generation.current) setError(asApiError(e));
      } finally {
        if (mine === generation.current) setLoading(false);
      }
    },
    // `states` is derived from `filter`.
    [api, filter],
  );

  useEffect(() => {
    setJobs([]);
    void load(null, PAGE);
  }, [load]);

  const reload = useCallback(() => void load(null, Math.min(MAX_PAGE, Math.max(PAGE, listRef.current.length))), [load]);
  const loadMore = useCallback(() => void load(cursor, PAGE), [load, cursor]);

  useJobEvents(
    api,
    (job) => {
      const list = listRef.current;
      const matches = !states || states.includes(job.state);
      const at = list.findIndex((j) => j.id === job.id);
      let next: Job[];
      if (at >= 0 && !matches) {
        next = list.filter((j) => j.id !== job.id);
        setTotal((t) => Math.max(0, t - 1));
      } else if (at >= 0) {
        next = [...list];
        next[at] = laterJob(list[at]!, job);
      } else {
        if (!matches) return;
        // Newest first: place it by creation time; past the loaded rows it belongs to a later page.
        const index = list.findIndex((j) => j.createdAt < job.createdAt);
        if (index === -1 && hasNext) return;
        next = [...list];
        next.splice(index === -1 ? next.length : index, 0, job);
        setTotal((t) => t + 1);
      }
      listRef.current = next;
      setJobs(next);
    },
    reload,
  );

  return { jobs, total, hasNext, loading, error, loadMore, reload };
}
