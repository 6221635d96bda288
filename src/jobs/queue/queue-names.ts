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
}
