import { describe, expect, it } from "vitest";
import { reclaimHint } from "../../web/src/disks/reclaim-hint.js";

const MiB = 1024 * 1024;

describe("reclaimHint (web UI, next to the Sparsifiable badge)", () => {
  it.each([
    ["no estimate yet", undefined, null],
    ["estimate unavailable", null, null],
    ["0 bytes", 0, "nothing to reclaim"],
    ["4 KiB", 4096, "nothing to reclaim"],
    ["just under 1 MiB", MiB - 1, "nothing to reclaim"],
    ["exactly 1 MiB", MiB, null],
    ["200 MiB", 200 * MiB, null],
  ])("%s → %s", (_name, reclaimableEstimate, hint) => {
    expect(reclaimHint({ reclaimableEstimate })).toBe(hint);
  });
});
