/** Enumerations stored in the database and exposed in the API with the same names. */

export enum StorageDomainStatus {
  ACTIVE = "ACTIVE",
  INACTIVE = "INACTIVE",
  INACCESSIBLE = "INACCESSIBLE",
}

export enum StorageKind {
  FILE = "FILE",
  BLOCK = "BLOCK",
}

export enum ScanState {
  NEVER = "NEVER",
  QUEUED = "QUEUED",
  SCANNING = "SCANNING",
  DONE = "DONE",
  FAILED = "FAILED",
}

export enum DiskFormat {
  RAW = "RAW",
  QCOW2 = "QCOW2",
}

export enum DiskAllocation {
  SPARSE = "SPARSE",
  PREALLOCATED = "PREALLOCATED",
}

export enum AllocationSource {
  DETECTED = "DETECTED",
  INFERRED = "INFERRED",
  SET_BY_USER = "SET_BY_USER",
}

export enum StorageType {
  IMAGE = "IMAGE",
  LUN = "LUN",
  MANAGED_BLOCK = "MANAGED_BLOCK",
}

export enum DiskStatus {
  OK = "OK",
  LOCKED = "LOCKED",
  ILLEGAL = "ILLEGAL",
  MISSING = "MISSING",
}

/** The oVirt VM states that matter for sparsify: only DOWN lets a plugged disk be sparsified. */
export enum VmStatus {
  DOWN = "DOWN",
  UP = "UP",
  POWERING_UP = "POWERING_UP",
  POWERING_DOWN = "POWERING_DOWN",
  PAUSED = "PAUSED",
  SUSPENDED = "SUSPENDED",
  MIGRATING = "MIGRATING",
  REBOOTING = "REBOOTING",
  SAVING_STATE = "SAVING_STATE",
  RESTORING_STATE = "RESTORING_STATE",
  WAIT_FOR_LAUNCH = "WAIT_FOR_LAUNCH",
  NOT_RESPONDING = "NOT_RESPONDING",
  UNKNOWN = "UNKNOWN",
}

export enum JobState {
  QUEUED = "QUEUED",
  RUNNING = "RUNNING",
  SUCCEEDED = "SUCCEEDED",
  FAILED = "FAILED",
  CANCELLED = "CANCELLED",
}

export const ACTIVE_JOB_STATES = [JobState.QUEUED, JobState.RUNNING] as const;

/** Where a VM's facts come from: a hypervisor's libvirt (read-only here) or a person. */
export enum VmSource {
  LIBVIRT = "LIBVIRT",
  MANUAL = "MANUAL",
}

/** A host worker's link to its libvirt: DISABLED = none configured (LIBVIRT_URI=none or no socket). */
export enum LibvirtState {
  CONNECTED = "CONNECTED",
  UNREACHABLE = "UNREACHABLE",
  DISABLED = "DISABLED",
}
