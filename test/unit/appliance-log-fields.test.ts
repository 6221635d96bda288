import { describe, expect, it } from "vitest";
import type { SparsifyRunResult } from "../../src/host/virt-sparsify-runner.js";
import { finishedLogFields } from "../../src/jobs/worker/appliance-outcome.js";

const run = (exitCode: number | null): SparsifyRunResult => ({
  exitCode,
  cancelled: false,
  timedOut: false,
  trimmedDevices: exitCode === 0 ? ["/dev/sda1"] : [],
  swapCleared: [],
  completed: exitCode === 0,
  stderrTail: "libguestfs: error: guestfs_launch failed.",
  durationMs: 144,
  removedSockdirs: [],
  survivors: [],
});

describe("the worker's log line for a finished virt-sparsify run", () => {
  it.each([
    { exitCode: 0, tail: false },
    { exitCode: 1, tail: true },
    { exitCode: null, tail: true }, // killed: its last words matter most
  ])("exit $exitCode: the stderr tail is logged: $tail", ({ exitCode, tail }) => {
    const fields = finishedLogFields(run(exitCode), 100, 90);
    expect(fields).toMatchObject({ exitCode, before: 100, after: 90, ms: 144 });
    expect("stderrTail" in fields).toBe(tail);
    if (tail) expect(fields).toMatchObject({ stderrTail: "libguestfs: error: guestfs_launch failed." });
  });
});
