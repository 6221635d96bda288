import { describe, expect, it } from "vitest";
import { methodLabel } from "../../web/src/jobs/method-label.js";

describe("methodLabel (web UI)", () => {
  it.each([
    [{ methodUsed: null, fallbackReason: null }, null],
    [{}, null],
    [{ methodUsed: "DIRECT", fallbackReason: null }, "Method: DIRECT"],
    [{ methodUsed: "VIRT_SPARSIFY", fallbackReason: null }, "Method: virt-sparsify"],
    [{ methodUsed: "VIRT_SPARSIFY", fallbackReason: "EXT_NOT_CLEAN" }, "Method: virt-sparsify (DIRECT not used: Ext not clean)"],
  ])("%j → %s", (job, label) => {
    expect(methodLabel(job)).toBe(label);
  });
});
