import { describe, expect, it } from "vitest";
import { DirectFallbackReason } from "../../src/domain/direct-method.js";
import { DirectRefusal, type DirectPlan } from "../../src/host/direct/direct-contract.js";
import { partitionTableGaps, planDirect } from "../../src/host/direct/plan-direct.js";
import type { FsSignature } from "../../src/host/estimate/fs-detect.js";
import type { DiskLayout } from "../../src/host/estimate/partition-table.js";

const MiB = 1024 * 1024;
const ext4: FsSignature = { kind: "ext", type: "ext4", estimable: true };
const xfs: FsSignature = { kind: "xfs", type: "xfs", estimable: true };
const swap: FsSignature = { kind: "swap", type: "swap", estimable: true };
const vfat: FsSignature = { kind: "unknown", type: "vfat", estimable: false };
const nothing: FsSignature = { kind: "unknown", type: null, estimable: false };
const lvm: FsSignature = { kind: "lvm", type: "LVM2_member", estimable: false };
const jbd: FsSignature = { kind: "unknown", type: "jbd", estimable: false };
const hibernated: FsSignature = { kind: "swap", type: "swsuspend", estimable: false };
const swapV0: FsSignature = { kind: "swap", type: "swap", estimable: false };

const p = (number: number, startMiB: number, lengthMiB: number) => ({ number, start: startMiB * MiB, length: lengthMiB * MiB });
const gpt = (...parts: ReturnType<typeof p>[]): DiskLayout => ({ table: "gpt", partitions: parts });
const summary = (plan: DirectPlan) => ({
  discard: plan.discard.map((d) => `${d.partition.number}:${d.kind}`),
  skipped: plan.skipped.map((s) => `${s.number ?? "-"}:${s.found}@${s.start / MiB}+${s.length / MiB}`),
});

describe("planDirect", () => {
  it.each<[string, DiskLayout, FsSignature[], number, ReturnType<typeof summary>]>([
    ["a whole-disk ext4: no gaps", { table: "none", partitions: [] }, [ext4], 64, { discard: ["0:ext"], skipped: [] }],
    [
      "GPT: ESP, BIOS boot, ext4, XFS, swap, with the table's head and tail gaps",
      gpt(p(1, 1, 64), p(2, 65, 1), p(3, 66, 400), p(4, 466, 512), p(5, 978, 128)),
      [vfat, nothing, ext4, xfs, swap],
      1280,
      { discard: ["3:ext", "4:xfs", "5:swap"], skipped: ["-:gap@0+1", "1:vfat@1+64", "2:unknown@65+1", "-:gap@1106+174"] },
    ],
    [
      "MBR with a hole between partitions and LVM and an external journal skipped",
      { table: "mbr", partitions: [p(1, 1, 100), p(2, 120, 50), p(5, 200, 20)] },
      [lvm, jbd, ext4],
      220,
      { discard: ["5:ext"], skipped: ["-:gap@0+1", "1:LVM2_member@1+100", "-:gap@101+19", "2:jbd@120+50", "-:gap@170+30"] },
    ],
    [
      "overlapping partitions (a hostile table) are both left alone",
      gpt(p(1, 1, 100), p(2, 50, 100), p(3, 200, 10)),
      [ext4, xfs, swap],
      210,
      {
        discard: ["3:swap"],
        skipped: ["-:gap@0+1", "1:ext4 (overlaps partition 2)@1+100", "2:xfs (overlaps partition 1)@50+100", "-:gap@150+50"],
      },
    ],
  ])("%s", (_, layout, signatures, diskMiB, expected) => {
    expect(summary(planDirect(layout, signatures, diskMiB * MiB))).toEqual(expected);
  });

  it.each<[string, DiskLayout, FsSignature[], DirectFallbackReason]>([
    ["nothing DIRECT understands", gpt(p(1, 1, 64), p(2, 65, 64)), [vfat, lvm], DirectFallbackReason.NO_DIRECT_FILESYSTEM],
    [
      "a disk without a table or filesystem",
      { table: "none", partitions: [] },
      [nothing],
      DirectFallbackReason.NO_DIRECT_FILESYSTEM,
    ],
    ["an empty table", gpt(), [], DirectFallbackReason.NO_DIRECT_FILESYSTEM],
    [
      "a hibernation image next to an ext4",
      gpt(p(1, 1, 64), p(2, 65, 64)),
      [ext4, hibernated],
      DirectFallbackReason.SWAP_NOT_PLAIN,
    ],
    ["a v0 swap", gpt(p(1, 1, 64)), [swapV0], DirectFallbackReason.SWAP_NOT_PLAIN],
  ])("refuses %s", (_, layout, signatures, reason) => {
    let error: unknown;
    try {
      planDirect(layout, signatures, 200 * MiB);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DirectRefusal);
    expect((error as DirectRefusal).reason).toBe(reason);
  });

  it("needs one signature per region", () => {
    expect(() => planDirect(gpt(p(1, 1, 64)), [], 100 * MiB)).toThrow(/0 signatures for 1 regions/);
  });
});

describe("partitionTableGaps", () => {
  it.each<[string, ReturnType<typeof p>[], number, Array<[number, number]>]>([
    ["no partitions: the whole disk", [], 10, [[0, 10]]],
    ["partitions filling the disk: none", [p(1, 0, 5), p(2, 5, 5)], 10, []],
    [
      "unsorted, nested and overlapping partitions",
      [p(2, 6, 2), p(1, 1, 4), p(3, 2, 1)],
      10,
      [
        [0, 1],
        [5, 1],
        [8, 2],
      ],
    ],
  ])("%s", (_, parts, diskMiB, expected) => {
    expect(partitionTableGaps(parts, diskMiB * MiB).map((g) => [g.start / MiB, g.length / MiB])).toEqual(expected);
  });
});
