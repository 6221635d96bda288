import { JobErrorCode } from "../../domain/job-error-code.js";
import { JobState } from "../../entities/enums.js";
import type { JobEnding } from "../../services/job-store.js";
import { StorageUnavailableError } from "./storage-guard.js";

/** A check of a sparsify job refused the disk: the job fails with this code and message. */
export class JobFailure extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How an error thrown out of a sparsify run ends its job. Only a refusal (JobFailure) and lost
 * storage carry their own code; anything else is a crash of ours (INTERNAL_ERROR, logged as such).
 * An image still held while the run was being aborted is the cancel, not a failure.
 */
export function failureEnding(error: unknown, aborted: boolean): { ending: JobEnding; crashed: boolean } {
  const code = error instanceof JobFailure || error instanceof StorageUnavailableError ? error.code : JobErrorCode.INTERNAL_ERROR;
  const crashed = code === JobErrorCode.INTERNAL_ERROR;
  if (aborted && code === JobErrorCode.IMAGE_IN_USE) return { ending: { state: JobState.CANCELLED }, crashed };
  return { ending: { state: JobState.FAILED, errorCode: code, errorMessage: (error as Error).message }, crashed };
}
