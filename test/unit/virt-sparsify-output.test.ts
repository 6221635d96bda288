import { describe, expect, it } from "vitest";
import { eventKey, parseSparsifyLine, type SparsifyOutputEvent } from "../../src/host/virt-sparsify-output.js";
import { readSparsifyFixture } from "../support/sparsify-fixtures.js";

/** Parses a recorded run and drops "other" lines and duplicate copies of the same message. */
function significantEvents(fixture: string): SparsifyOutputEvent[] {
  const seen = new Set<string>();
  return readSparsifyFixture(fixture)
    .map(({ line, stream }) => parseSparsifyLine(line, stream))
    .filter((e) => e.kind !== "other")
    .filter((e) => !seen.has(eventKey(e)) && Boolean(seen.add(eventKey(e))));
}

describe("parseSparsifyLine on recorded runs", () => {
  it.each([
    [
      "success-plain.txt",
      [
        { kind: "launch", step: 9, total: 12 },
        { kind: "launch", step: 12, total: 12 },
        { kind: "trimming", device: "/dev/sda", source: "json" },
        { kind: "completed", source: "json" },
      ],
    ],
    [
      "success-part-swap.txt",
      [
        { kind: "launch", step: 9, total: 12 },
        { kind: "launch", step: 12, total: 12 },
        { kind: "trimming", device: "/dev/sda1", source: "json" },
        { kind: "swap-cleared", device: "/dev/sda2", source: "json" },
        { kind: "completed", source: "json" },
      ],
    ],
    // rc 0 and "completed", but no trimming: nothing was sparsified (docs/virt-sparsify.md §9.2).
    [
      "no-filesystem.txt",
      [
        { kind: "launch", step: 9, total: 12 },
        { kind: "launch", step: 12, total: 12 },
        { kind: "completed", source: "json" },
      ],
    ],
    ["sigterm-during-launch.txt", [{ kind: "signal", signal: "SIGTERM" }]],
    [
      "missing-file.txt",
      [{ kind: "error", message: "libguestfs error: /tmp/rec/does-not-exist.qcow2: No such file or directory", source: "json" }],
    ],
    [
      "launch-failed-locked.txt",
      [
        {
          kind: "error",
          message: expect.stringMatching(/^libguestfs error: guestfs_launch failed\.\nThis usually means/),
          source: "json",
        },
      ],
    ],
  ])("%s", (fixture, expected) => {
    expect(significantEvents(fixture)).toEqual(expected);
  });
});

describe("parseSparsifyLine, line by line", () => {
  it.each<[string, "stdout" | "stderr", SparsifyOutputEvent]>([
    ["9/12", "stdout", { kind: "launch", step: 9, total: 12 }],
    // N/M only means launch progress on stdout.
    ["9/12", "stderr", { kind: "other", text: "9/12" }],
    ["[  14.1] Trimming /dev/sda", "stdout", { kind: "trimming", device: "/dev/sda", source: "text" }],
    [
      `{ "message": "Trimming /dev/sda", "timestamp": "2026-11-25T08:43:42.652300258+00:00", "type": "message" }`,
      "stderr",
      { kind: "trimming", device: "/dev/sda", source: "json" },
    ],
    ["[  19.3] Clearing Linux swap on /dev/sda2", "stdout", { kind: "swap-cleared", device: "/dev/sda2", source: "text" }],
    ["[  14.5] Sparsify in-place operation completed with no errors", "stdout", { kind: "completed", source: "text" }],
    // The tty form (docs/virt-sparsify.md §4): ANSI colour, no timestamp.
    ["\x1b[0;32mTrimming /dev/sda\x1b[0m", "stdout", { kind: "trimming", device: "/dev/sda", source: "text" }],
    [
      "virt-sparsify: error: libguestfs error: guestfs_launch failed.",
      "stderr",
      { kind: "error", message: "libguestfs error: guestfs_launch failed.", source: "text" },
    ],
    [`{ "message": "boom", "timestamp": "x", "type": "error" }`, "stdout", { kind: "error", message: "boom", source: "json" }],
    ["virt-sparsify: warning: something odd", "stderr", { kind: "warning", message: "something odd", source: "text" }],
    ["virt-sparsify: Exiting on signal SIGTERM", "stderr", { kind: "signal", signal: "SIGTERM" }],
    [`{ "message": "Some future message", "type": "message" }`, "stderr", { kind: "other", text: "Some future message" }],
    ["{ not json", "stderr", { kind: "other", text: "{ not json" }],
    ["", "stderr", { kind: "other", text: "" }],
  ])("%j on %s", (line, stream, expected) => {
    expect(parseSparsifyLine(line, stream)).toEqual(expected);
  });

  it("gives the JSON and text copies of a message the same key", () => {
    const json = parseSparsifyLine(`{ "message": "libguestfs error: x\\ny", "type": "error" }`, "stderr");
    const text = parseSparsifyLine("virt-sparsify: error: libguestfs error: x", "stderr");
    expect(eventKey(json)).toBe(eventKey(text));
  });
});
