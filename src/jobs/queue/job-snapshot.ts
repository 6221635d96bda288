import type { SparsifyJob } from "../../entities/index.js";

/** A job as it travels on the bus: plain JSON, dates as ISO strings. */
export type JobSnapshot = Omit<SparsifyJob, "createdAt" | "startedAt" | "finishedAt" | "cancelRequestedAt"> & {
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  cancelRequestedAt: string | null;
};

export function toSnapshot(job: SparsifyJob): JobSnapshot {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    ...job,
    createdAt: new Date(job.createdAt).toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    cancelRequestedAt: iso(job.cancelRequestedAt),
  };
}

export function fromSnapshot(s: JobSnapshot): SparsifyJob {
  const date = (v: string | null) => (v ? new Date(v) : null);
  return Object.assign(Object.create(null), s, {
    createdAt: new Date(s.createdAt),
    startedAt: date(s.startedAt),
    finishedAt: date(s.finishedAt),
    cancelRequestedAt: date(s.cancelRequestedAt),
  }) as SparsifyJob;
}
