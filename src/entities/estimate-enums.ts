/** How a reclaimable-space estimate was made. */
export enum EstimateMethod {
  /**
   * Blocks the guest filesystems (ext2/3/4, XFS) and swap report free, intersected with the
   * host allocation of the leaf (`qemu-img map`); read-only, no appliance.
   */
  FREE_BLOCKS = "FREE_BLOCKS",
}

/** Why a disk has no reclaimable-space estimate. Stored as text and sent to clients. */
export enum EstimateUnavailableReason {
  NO_FILESYSTEM = "NO_FILESYSTEM",
  UNSUPPORTED_FILESYSTEM = "UNSUPPORTED_FILESYSTEM",
  LVM = "LVM",
  ENCRYPTED = "ENCRYPTED",
  IMAGE_IN_USE = "IMAGE_IN_USE",
  UNREADABLE = "UNREADABLE",
  TIMED_OUT = "TIMED_OUT",
  /** The disk's recorded chain is refused (a layer escapes the domain, a loop). */
  CHAIN_INVALID = "CHAIN_INVALID",
  // The image inspector refused a layer before any tool opened it (src/host/inspect/inspection-code.ts).
  EXTERNAL_DATA_FILE = "EXTERNAL_DATA_FILE",
  BACKING_OUTSIDE_CHAIN = "BACKING_OUTSIDE_CHAIN",
  UNKNOWN_FEATURES = "UNKNOWN_FEATURES",
  FORMAT_MISMATCH = "FORMAT_MISMATCH",
  HEADER_INVALID = "HEADER_INVALID",
  NOT_REGULAR_FILE = "NOT_REGULAR_FILE",
  CHAIN_CHANGED = "CHAIN_CHANGED",
  NOT_INSPECTED = "NOT_INSPECTED",
  /** The storage domain was gone or hung when the disk's turn came (set by the estimate job). */
  STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE",
  /** prlimit, unshare or setpriv is missing: no parser runs without its sandbox. */
  SANDBOX_TOOL_MISSING = "SANDBOX_TOOL_MISSING",
  /** A root worker has no `sparsify-parser` user to run the parsers as. */
  SANDBOX_USER_MISSING = "SANDBOX_USER_MISSING",
  /** A non-root worker cannot create user namespaces (kernel or sysctl forbids it). */
  SANDBOX_USERNS_UNAVAILABLE = "SANDBOX_USERNS_UNAVAILABLE",
  // The path guard: a layer is no longer the file the scan recorded (src/host/path-guard.ts).
  IMAGE_PATH_CHANGED = "IMAGE_PATH_CHANGED",
  IMAGE_NOT_REGULAR_FILE = "IMAGE_NOT_REGULAR_FILE",
  IMAGE_HARDLINKED = "IMAGE_HARDLINKED",
  IMAGE_NOT_FOUND = "IMAGE_NOT_FOUND",
}
