import { describe, expect, it } from "vitest";
import { attemptLabel } from "../../web/src/jobs/attempt.js";

describe("attemptLabel (web UI)", () => {
  it.each([
    [undefined, null],
    [0, null],
    [1, null],
    [2, "attempt 2"],
    [5, "attempt 5"],
  ])("%s → %s", (attempts, label) => {
    expect(attemptLabel(attempts)).toBe(label);
  });
});
