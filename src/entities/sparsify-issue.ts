/** Why a disk cannot be sparsified (blockers) or what to know before doing it (warnings). */
export enum SparsifyIssueCode {
  DISK_LOCKED = "DISK_LOCKED",
  DISK_ILLEGAL = "DISK_ILLEGAL",
  DISK_MISSING = "DISK_MISSING",
  CHAIN_INVALID = "CHAIN_INVALID",
  NOT_IMAGE_DISK = "NOT_IMAGE_DISK",
  PREALLOCATED = "PREALLOCATED",
  HAS_DERIVED_DISKS = "HAS_DERIVED_DISKS",
  VM_NOT_DOWN = "VM_NOT_DOWN",
  STORAGE_DOMAIN_NOT_ACTIVE = "STORAGE_DOMAIN_NOT_ACTIVE",
  BLOCK_STORAGE_DOMAIN = "BLOCK_STORAGE_DOMAIN",
  NFS_TOO_OLD = "NFS_TOO_OLD",
  JOB_ACTIVE = "JOB_ACTIVE",
  // image inspector refusals (src/host/inspect/inspection-code.ts, same strings)
  EXTERNAL_DATA_FILE = "EXTERNAL_DATA_FILE",
  BACKING_OUTSIDE_CHAIN = "BACKING_OUTSIDE_CHAIN",
  UNKNOWN_FEATURES = "UNKNOWN_FEATURES",
  FORMAT_MISMATCH = "FORMAT_MISMATCH",
  ENCRYPTED = "ENCRYPTED",
  HEADER_INVALID = "HEADER_INVALID",
  NOT_REGULAR_FILE = "NOT_REGULAR_FILE",
  UNREADABLE = "UNREADABLE",
  CHAIN_CHANGED = "CHAIN_CHANGED",
  NOT_INSPECTED = "NOT_INSPECTED",
  RUN_STILL_ALIVE = "RUN_STILL_ALIVE",
  /** One of the disk's files has several names (path guard, see host/path-guard.ts). */
  IMAGE_HARDLINKED = "IMAGE_HARDLINKED",
  IMAGE_NOT_REGULAR_FILE = "IMAGE_NOT_REGULAR_FILE",
  /** A libvirt host lost its connection: what runs on it is unknown, so nothing it may use is touched. */
  VM_STATE_UNKNOWN = "VM_STATE_UNKNOWN",
  /** A DIRECT run's verification failed on this disk: blocked until an admin has checked the image. */
  DIRECT_VERIFICATION_FAILED = "DIRECT_VERIFICATION_FAILED",
  // warnings
  HAS_SNAPSHOTS = "HAS_SNAPSHOTS",
  UNPLUGGED_FROM_RUNNING_VM = "UNPLUGGED_FROM_RUNNING_VM",
}

export interface SparsifyIssue {
  code: SparsifyIssueCode;
  message: string;
}
