import { describe, expect, it } from "vitest";
import { EstimateUnavailableReason } from "../../src/domain/estimate-enums.js";
import { JobErrorCode } from "../../src/domain/job-error-code.js";
import { SparsifyIssueCode } from "../../src/domain/sparsify-issue.js";
import { InspectionCode } from "../../src/host/inspect/inspection-code.js";
import { PathGuardCode } from "../../src/host/path-guard.js";

/**
 * The host's refusal codes are stored and sent as job error codes, estimate reasons and (for the
 * inspector) blockers under the same string; the worker converts them with casts. This table proves
 * every cast lands on a value the API declares.
 */
const values = (e: object) => new Set(Object.values(e) as string[]);

describe("host refusal codes are part of every API vocabulary they are cast into", () => {
  it.each(Object.values(InspectionCode))(
    "inspector code %s is a JobErrorCode, an EstimateUnavailableReason and a SparsifyIssueCode",
    (code) => {
      expect(values(JobErrorCode)).toContain(code);
      expect(values(EstimateUnavailableReason)).toContain(code);
      expect(values(SparsifyIssueCode)).toContain(code);
    },
  );

  it.each(Object.values(PathGuardCode))("path-guard code %s is a JobErrorCode and an EstimateUnavailableReason", (code) => {
    expect(values(JobErrorCode)).toContain(code);
    expect(values(EstimateUnavailableReason)).toContain(code);
  });
});
