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
  /** A libvirt host lost its connection: what runs on it is unknown, so nothing it may use is touched. */
  VM_STATE_UNKNOWN = "VM_STATE_UNKNOWN",
  // warnings
  HAS_SNAPSHOTS = "HAS_SNAPSHOTS",
  UNPLUGGED_FROM_RUNNING_VM = "UNPLUGGED_FROM_RUNNING_VM",
}

export interface SparsifyIssue {
  code: SparsifyIssueCode;
  message: string;
}
