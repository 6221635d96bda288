import type { Job } from "../api/types";

/** Waiting (queued), elapsed (running) or took (finished), in milliseconds; never negative under clock skew. */
export function jobTiming(job: Job, now: number): { label: string; ms: number } {
  const t = (iso: string) => new Date(iso).getTime();
  if (job.finishedAt) return { label: "Took", ms: Math.max(0, t(job.finishedAt) - t(job.startedAt ?? job.createdAt)) };
  if (job.startedAt) return { label: "Elapsed", ms: Math.max(0, now - t(job.startedAt)) };
  return { label: "Waiting", ms: Math.max(0, now - t(job.createdAt)) };
}
