import { useEffect, useRef } from "react";
import type { Api } from "../api/client";
import { JOB_EVENTS } from "../api/operations";
import type { Job } from "../api/types";

/**
 * Every change of every job (`sparsifyJobEvents`). The stream has no history, so `onReconnect`
 * runs after a lost WebSocket came back: refetch whatever the page shows.
 */
export function useJobEvents(api: Api, onJob: (job: Job) => void, onReconnect?: () => void): void {
  const handlers = useRef({ onJob, onReconnect });
  useEffect(() => {
    handlers.current = { onJob, onReconnect };
  });
  useEffect(() => {
    const off = api.onReconnect(() => handlers.current.onReconnect?.());
    const unsubscribe = api.subscribe(
      JOB_EVENTS,
      {},
      {
        next: (data) => handlers.current.onJob(data.sparsifyJobEvents),
      },
    );
    return () => {
      off();
      unsubscribe();
    };
  }, [api]);
}

const RANK = { QUEUED: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 2, CANCELLED: 2 } as const;

/** Of two snapshots of one job, the later one (a refetch can answer after a newer event). */
export function laterJob(a: Job, b: Job): Job {
  if (RANK[a.state] !== RANK[b.state]) return RANK[a.state] > RANK[b.state] ? a : b;
  return b.progress >= a.progress ? b : a;
}
