import { describe, expect, it } from "vitest";
import { detectFilesystem, PROBE_BYTES, type FsSignature } from "../../src/host/estimate/fs-detect.js";
import { fixtureJson, headOf, type SectorDump } from "../support/estimate-fixtures.js";

const heads = fixtureJson<Record<string, SectorDump>>("fs-heads.json");
const head = (name: string) => headOf(heads[name]!, PROBE_BYTES);

describe("detectFilesystem on heads made by the real tools (fs-heads.json)", () => {
  it.each<[string, FsSignature]>([
    ["ext2", { kind: "ext", type: "ext2", estimable: true }],
    ["ext3", { kind: "ext", type: "ext3", estimable: true }],
    ["ext4", { kind: "ext", type: "ext4", estimable: true }],
    // mke2fs -O journal_dev: ext magic, but nothing a guest mounts or trims.
    ["jbd", { kind: "unknown", type: "jbd", estimable: false }],
    ["swap", { kind: "swap", type: "swap", estimable: true }],
    ["xfs", { kind: "xfs", type: "xfs", estimable: true }],
    ["luks", { kind: "luks", type: "crypto_LUKS", estimable: false }],
    ["lvm", { kind: "lvm", type: "LVM2_member", estimable: false }],
    ["btrfs", { kind: "unknown", type: "btrfs", estimable: false }],
    ["vfat", { kind: "unknown", type: "vfat", estimable: false }],
    ["ntfs", { kind: "unknown", type: "ntfs", estimable: false }],
    ["exfat", { kind: "unknown", type: "exfat", estimable: false }],
    ["random", { kind: "unknown", type: null, estimable: false }],
  ])("%s", async (name, expected) => {
    expect(detectFilesystem(await head(name))).toEqual(expected);
  });
});

describe("detectFilesystem on hand-made heads", () => {
  const blank = () => Buffer.alloc(PROBE_BYTES);
  const withAt = (offset: number, bytes: string | Buffer, base: Buffer = blank()): Buffer => {
    (typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes).copy(base, offset);
    return base;
  };

  it.each<[string, Buffer, Partial<FsSignature>]>([
    ["all zeros", blank(), { kind: "unknown", type: null }],
    ["empty buffer (zero-length partition)", Buffer.alloc(0), { kind: "unknown", type: null }],
    ["XFS superblock magic", withAt(0, "XFSB"), { kind: "xfs", type: "xfs", estimable: true }],
    ["old v0 swap: virt-sparsify leaves it", withAt(4086, "SWAP-SPACE"), { kind: "swap", estimable: false }],
    ["hibernation image in swap: left alone", withAt(4086, "S1SUSPEND"), { kind: "swap", type: "swsuspend", estimable: false }],
    ["LVM label in sector 1", withAt(512 + 24, "LVM2 001", withAt(512, "LABELONE")), { kind: "lvm" }],
    ["LABELONE without the LVM2 type is not LVM", withAt(512, "LABELONE"), { kind: "unknown", type: null }],
    ["0xEF53 alone, no sane superblock, is not ext", withAt(1080, Buffer.from([0x53, 0xef])), { kind: "unknown", type: null }],
    [
      "swap signature cut off by the end of a tiny partition",
      Buffer.from(withAt(4086, "SWAPSPACE2").subarray(0, 4090)),
      { kind: "unknown", type: null },
    ],
  ])("%s", (_name, buffer, expected) => {
    expect(detectFilesystem(buffer)).toMatchObject(expected);
  });

  it("LUKS wins over whatever its payload area resembles", async () => {
    const luksOverExt = withAt(0, "LUKS\xba\xbe", await head("ext4"));
    expect(detectFilesystem(luksOverExt).kind).toBe("luks");
  });
});
