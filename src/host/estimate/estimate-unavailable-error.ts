/** Why a disk has no reclaimable-space estimate. String values: they are stored and sent to clients. */
export type EstimateUnavailableReason =
  | "NO_FILESYSTEM"
  | "UNSUPPORTED_FILESYSTEM"
  | "LVM"
  | "ENCRYPTED"
  | "IMAGE_IN_USE"
  | "UNREADABLE"
  | "TIMED_OUT"
  /** The storage domain was gone or hung when the disk's turn came (set by the estimate job). */
  | "STORAGE_UNAVAILABLE"
  /** prlimit, unshare or setpriv is missing: no parser runs without its sandbox. */
  | "SANDBOX_TOOL_MISSING"
  /** A root worker has no `sparsify-parser` user to run the parsers as. */
  | "SANDBOX_USER_MISSING"
  /** A non-root worker cannot create user namespaces (kernel or sysctl forbids it). */
  | "SANDBOX_USERNS_UNAVAILABLE";

/** The estimator cannot say how much sparsifying would give back; `reason` says why. */
export class EstimateUnavailableError extends Error {
  override readonly name = "EstimateUnavailableError";
  constructor(
    readonly reason: EstimateUnavailableReason,
    message: string,
  ) {
    super(message);
  }
}
