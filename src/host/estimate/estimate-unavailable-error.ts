import type { InspectionCode } from "../inspect/inspection-code.js";

/**
 * Why a disk has no reclaimable-space estimate. String values: they are stored and sent to
 * clients. The image inspector's codes (EXTERNAL_DATA_FILE…) and CHAIN_INVALID say the disk was
 * refused before any tool opened it.
 */
export type EstimateUnavailableReason =
  | `${InspectionCode}`
  | "CHAIN_INVALID"
  | "NO_FILESYSTEM"
  | "UNSUPPORTED_FILESYSTEM"
  | "LVM"
  | "ENCRYPTED"
  | "IMAGE_IN_USE"
  | "UNREADABLE"
  | "TIMED_OUT";

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
