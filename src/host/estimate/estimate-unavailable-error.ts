import type { EstimateUnavailableReason as Reason } from "../../domain/estimate-enums.js";

/** Why a disk has no reclaimable-space estimate: a value of the domain enum (stored, sent to clients). */
export type EstimateUnavailableReason = `${Reason}`;

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
