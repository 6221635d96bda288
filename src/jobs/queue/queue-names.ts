import type { SparsifyMethod } from "../../domain/direct-method.js";

export enum JobName {
  SCAN = "scan",
  SPARSIFY = "sparsify",
  ESTIMATE = "estimate",
  SCHEDULED_RUN = "scheduled-run",
}

export interface ScheduledRunData {
  storageDomainId: string;
}

export interface ScanJobData {
  storageDomainId: string;
  /** Why the scan runs: "added", "requested", "worker-start", "after-job"… for the audit trail. */
  reason: string;
  requestedBy: string;
}

export interface SparsifyJobData {
  jobId: string;
  diskId: string;
  storageDomainId: string;
  /**
   * The domain's method when the job was requested: which host budget the run starts under (DIRECT
   * or appliance) without a read of the domain. Absent (jobs queued by the reconciler, or before an
   * upgrade): the worker reads it. The run itself follows the domain's method as it is then; a
   * DIRECT budget that turns out to run virt-sparsify still waits for an appliance slot.
   */
  sparsifyMethod?: SparsifyMethod;
}
