import type { JobsOptions } from "bullmq";
import { JobName, type ScanJobData, type ScheduledRunData, type SparsifyJobData } from "./queue-names.js";

/** Data of an estimate job (defined here, not in its processor, so producers need no worker code). */
export interface EstimateJobData {
  storageDomainId: string;
  /** Only these disks; all of the domain's when absent. */
  diskIds?: string[];
  requestedBy: string;
}

/** What each job name carries: the one place a producer and the worker agree on it. */
export interface JobDataByName {
  [JobName.SCAN]: ScanJobData;
  [JobName.SPARSIFY]: SparsifyJobData;
  [JobName.ESTIMATE]: EstimateJobData;
  [JobName.SCHEDULED_RUN]: ScheduledRunData;
}

/**
 * Each storage domain has two queues, so short work never waits behind long work: sparsify runs
 * (15 s and 600 MB each, capped by the host's slot budget) and everything else (scans, estimates,
 * scheduled ticks: seconds, read-only, a lane of their own).
 */
export enum Lane {
  SPARSIFY = "sparsify",
  OPS = "ops",
}

interface CatalogEntry<D> {
  lane: Lane;
  /** Default BullMQ options; a caller's options are merged over them. */
  options(data: D): JobsOptions;
}

/** Every job name: its lane and default options. Adding a job means adding a row here. */
export const JOB_CATALOG: { [K in JobName]: CatalogEntry<JobDataByName[K]> } = {
  // Without a caller's jobId, at most one automatic scan waits per domain.
  [JobName.SCAN]: {
    lane: Lane.OPS,
    options: (d) => ({ deduplication: { id: `scan-${d.storageDomainId}` }, removeOnComplete: 100, removeOnFail: 100 }),
  },
  // The BullMQ id is the SparsifyJob row's UUID: PostgreSQL holds the truth, BullMQ carries it.
  [JobName.SPARSIFY]: { lane: Lane.SPARSIFY, options: (d) => ({ jobId: d.jobId, removeOnComplete: 1000, removeOnFail: 1000 }) },
  [JobName.ESTIMATE]: {
    lane: Lane.OPS,
    options: (d) => ({ deduplication: { id: `estimate-${d.storageDomainId}` }, removeOnComplete: 100, removeOnFail: 100 }),
  },
  [JobName.SCHEDULED_RUN]: { lane: Lane.OPS, options: () => ({ removeOnComplete: 50, removeOnFail: 50 }) },
};

/**
 * The queue of a domain's lane. The sparsify lane keeps the historical name `domain-<id>`, so jobs
 * queued before an upgrade are still consumed.
 */
export const laneQueueName = (storageDomainId: string, lane: Lane) =>
  lane === Lane.SPARSIFY ? `domain-${storageDomainId}` : `domain-${storageDomainId}-${lane}`;
