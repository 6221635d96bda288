/**
 * Why a job ended FAILED: the one vocabulary the worker (src/jobs/worker, src/host) writes to
 * `sparsify_job.errorCode`, the API exposes as the `JobErrorCode` enum and the web UI receives
 * through the generated types. The column is text, so adding a code is one line here (and
 * `npm run build` to refresh schema.graphql); no migration is needed.
 */
export enum JobErrorCode {
  /** Another process holds the image (a running VM, qemu-nbd, another sparsify). */
  IMAGE_IN_USE = "IMAGE_IN_USE",
  IMAGE_NOT_FOUND = "IMAGE_NOT_FOUND",
  /** qemu-img could not read the image for a reason we do not recognise. */
  IMAGE_UNREADABLE = "IMAGE_UNREADABLE",
  PERMISSION_DENIED = "PERMISSION_DENIED",
  /** The bytes do not match the recorded format. */
  WRONG_FORMAT = "WRONG_FORMAT",
  /** The image turned out preallocated: sparsifying would silently make it thin. */
  PREALLOCATED = "PREALLOCATED",
  /** The backing file changed since the last scan. */
  CHAIN_CHANGED = "CHAIN_CHANGED",
  /** The leaf path escapes its storage domain. */
  CHAIN_INVALID = "CHAIN_INVALID",
  /** The disk or its leaf volume left the inventory before the job ran. */
  DISK_MISSING = "DISK_MISSING",
  /** A blocker appeared between the request and the run. */
  DISK_NOT_SPARSIFIABLE = "DISK_NOT_SPARSIFIABLE",
  /** The libguestfs appliance did not start or crashed (KVM/TCG, kernel, memory). */
  APPLIANCE_FAILED = "APPLIANCE_FAILED",
  TIMED_OUT = "TIMED_OUT",
  CANCELLED = "CANCELLED",
  /** virt-sparsify failed for a reason none of the codes above explains. */
  SPARSIFY_FAILED = "SPARSIFY_FAILED",
  /** The host running the job stopped heartbeating and the queue lost the job. */
  WORKER_LOST = "WORKER_LOST",
  /** Redis was unreachable when the job was queued; nothing was done. */
  QUEUE_UNAVAILABLE = "QUEUE_UNAVAILABLE",
  // The image inspector refused a layer right before a qemu tool would open it (src/host/inspect).
  /** A qcow2 whose guest data lives in another file named in its header. */
  EXTERNAL_DATA_FILE = "EXTERNAL_DATA_FILE",
  /** A backing file that is not the next volume of the disk's recorded chain. */
  BACKING_OUTSIDE_CHAIN = "BACKING_OUTSIDE_CHAIN",
  /** qcow2 feature bits this gateway does not know. */
  UNKNOWN_FEATURES = "UNKNOWN_FEATURES",
  /** The content is another image format than recorded. */
  FORMAT_MISMATCH = "FORMAT_MISMATCH",
  /** An encrypted qcow2 (AES or LUKS). */
  ENCRYPTED = "ENCRYPTED",
  /** An inconsistent or implausible qcow2 header. */
  HEADER_INVALID = "HEADER_INVALID",
  /** Not a regular file (FIFO, device, directory, socket) or a symlink. */
  NOT_REGULAR_FILE = "NOT_REGULAR_FILE",
  /** The file could not be opened or read for inspection. */
  UNREADABLE = "UNREADABLE",
  /** Scanned before the inspector existed; a rescan inspects it. */
  NOT_INSPECTED = "NOT_INSPECTED",
  /** The storage domain or the image went away or hung during the run; the run was stopped. */
  STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE",
  /** A layer's real path, device or inode is not what the scan recorded (swapped or moved): rescan. */
  IMAGE_PATH_CHANGED = "IMAGE_PATH_CHANGED",
  /** A layer is now a symlink, device, FIFO or directory. */
  IMAGE_NOT_REGULAR_FILE = "IMAGE_NOT_REGULAR_FILE",
  /** A layer has several names (hard links): one may be outside every root. */
  IMAGE_HARDLINKED = "IMAGE_HARDLINKED",
  /** A DIRECT run discarded, then its read-only check found a filesystem changed: the disk is blocked,
   * DIRECT off for its domain. */
  DIRECT_VERIFICATION_FAILED = "DIRECT_VERIFICATION_FAILED",
  /** A DIRECT run failed after its first discard (it never falls back then); the detail says where. */
  DIRECT_FAILED = "DIRECT_FAILED",
  /** A bug in the worker; its log has the stack. */
  INTERNAL_ERROR = "INTERNAL_ERROR",
}

const KNOWN = new Set<string>(Object.values(JobErrorCode));

/** Reads a stored code; anything unknown (a row written by a newer worker) reads as INTERNAL_ERROR. */
export const asJobErrorCode = (stored: string): JobErrorCode =>
  KNOWN.has(stored) ? (stored as JobErrorCode) : JobErrorCode.INTERNAL_ERROR;
