import { describe, expect, it } from "vitest";
import { JobErrorCode } from "../../src/domain/job-error-code.js";
import { JobState } from "../../src/entities/enums.js";
import { failureEnding, JobFailure } from "../../src/jobs/worker/job-failure.js";
import { StorageUnavailableError } from "../../src/jobs/worker/storage-guard.js";

describe("failureEnding: how an error thrown out of a sparsify run ends its job", () => {
  const refused = new JobFailure(JobErrorCode.CHAIN_CHANGED, "the chain changed");
  const held = new JobFailure(JobErrorCode.IMAGE_IN_USE, "the image is held");
  const lost = new StorageUnavailableError("the domain is gone");
  const bug = new TypeError("x is undefined");
  const { CANCELLED, FAILED } = JobState;
  const { CHAIN_CHANGED, IMAGE_IN_USE, STORAGE_UNAVAILABLE, INTERNAL_ERROR } = JobErrorCode;
  it.each([
    // error, run aborted → state, code, message, crashed
    [refused, false, FAILED, CHAIN_CHANGED, "the chain changed", false],
    [refused, true, FAILED, CHAIN_CHANGED, "the chain changed", false],
    [held, false, FAILED, IMAGE_IN_USE, "the image is held", false],
    [held, true, CANCELLED, undefined, undefined, false],
    [lost, false, FAILED, STORAGE_UNAVAILABLE, "the domain is gone", false],
    [lost, true, FAILED, STORAGE_UNAVAILABLE, "the domain is gone", false],
    [bug, false, FAILED, INTERNAL_ERROR, "x is undefined", true],
    [bug, true, FAILED, INTERNAL_ERROR, "x is undefined", true],
  ] as const)("%s, aborted %s → %s %s", (error, aborted, state, errorCode, errorMessage, crashed) => {
    const result = failureEnding(error, aborted);
    expect(result.crashed).toBe(crashed);
    expect(result.ending).toEqual(errorCode ? { state, errorCode, errorMessage } : { state });
  });
});
