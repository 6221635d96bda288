import { describe, expect, it } from "vitest";
import { DirectFallbackReason } from "../../src/domain/direct-method.js";
import { DirectRefusal } from "../../src/host/direct/direct-contract.js";
import { parseDumpe2fsHeader } from "../../src/host/direct/dumpe2fs-header.js";
import { clearBitRuns, subtractRuns, uninitBitmap, type BlockRun } from "../../src/host/direct/ext-bitmap-free.js";
import { checkExtClean } from "../../src/host/direct/ext-clean-check.js";
import {
  gdtBlocks,
  groupCount,
  hasSuperblockBackup,
  parseGroupDescriptors,
} from "../../src/host/direct/ext-group-descriptors.js";
import { extSuperblockProblem, parseExtSuperblock, type ExtSuperblock } from "../../src/host/direct/ext-superblock.js";
import { formatUuid } from "../../src/host/direct/uuid-text.js";
import { fixtureJson, headOf, type SectorDump } from "../support/estimate-fixtures.js";

const heads = fixtureJson<Record<string, SectorDump>>("fs-heads.json");
const superblockOf = async (name: string) => parseExtSuperblock((await headOf(heads[name]!, 2048)).subarray(1024));

/** mke2fs -t ext4 defaults on 1.47: a clean, allowed superblock to vary one field at a time. */
const clean: ExtSuperblock = {
  magic: 0xef53,
  blockSize: 4096,
  clusterLog: 0,
  blocksCount: 262144,
  firstDataBlock: 0,
  blocksPerGroup: 32768,
  clustersPerGroup: 32768,
  inodesPerGroup: 8192,
  inodeSize: 256,
  state: 1,
  revLevel: 1,
  compat: 0x3c,
  incompat: 0x2c2,
  roCompat: 0x46b,
  reservedGdtBlocks: 127,
  lastOrphan: 0,
  descSize: 64,
  uuid: Buffer.alloc(16, 1),
};

const reasonOf = (f: () => void): DirectFallbackReason | null => {
  try {
    f();
    return null;
  } catch (error) {
    if (error instanceof DirectRefusal) return error.reason;
    throw error;
  }
};

describe("parseExtSuperblock on superblocks made by mke2fs (fs-heads.json)", () => {
  it.each([["ext2"], ["ext3"], ["ext4"]])("%s: magic, geometry and a clean state", async (name) => {
    const sb = await superblockOf(name);
    expect(sb.magic).toBe(0xef53);
    expect(sb.state).toBe(1);
    expect(extSuperblockProblem(sb, sb.blocksCount * sb.blockSize)).toBeNull();
    expect(reasonOf(() => checkExtClean(sb))).toBeNull();
  });
});

describe("checkExtClean", () => {
  it.each<[string, Partial<ExtSuperblock>, DirectFallbackReason | null]>([
    ["mke2fs -t ext4 defaults", {}, null],
    ["ext2 base features", { compat: 0x38, incompat: 0x2, roCompat: 0x3 }, null],
    ["ext4 with uninit_bg instead of metadata_csum", { roCompat: 0x7b }, null],
    ["needs_recovery (a journal to replay)", { incompat: 0x2c6 }, DirectFallbackReason.EXT_NOT_CLEAN],
    ["state 0: mounted or crashed", { state: 0 }, DirectFallbackReason.EXT_NOT_CLEAN],
    ["state with errors", { state: 3 }, DirectFallbackReason.EXT_NOT_CLEAN],
    ["state with orphans being recovered", { state: 5 }, DirectFallbackReason.EXT_NOT_CLEAN],
    ["an orphan list", { lastOrphan: 13 }, DirectFallbackReason.EXT_NOT_CLEAN],
    ["orphan_file with orphans present", { compat: 0x103c, roCompat: 0x1046b }, DirectFallbackReason.EXT_NOT_CLEAN],
    ["orphan_file (untested)", { compat: 0x103c }, DirectFallbackReason.EXT_UNSUPPORTED_FEATURE],
    ["sparse_super2", { compat: 0x23c }, DirectFallbackReason.EXT_UNSUPPORTED_FEATURE],
    ["fast_commit", { compat: 0x43c }, DirectFallbackReason.EXT_UNSUPPORTED_FEATURE],
    ["meta_bg", { incompat: 0x2d2 }, DirectFallbackReason.EXT_UNSUPPORTED_FEATURE],
    ["mmp", { incompat: 0x3c2 }, DirectFallbackReason.EXT_UNSUPPORTED_FEATURE],
    ["inline_data", { incompat: 0x82c2 }, DirectFallbackReason.EXT_UNSUPPORTED_FEATURE],
    ["encrypt", { incompat: 0x102c2 }, DirectFallbackReason.EXT_UNSUPPORTED_FEATURE],
    ["csum_seed", { incompat: 0x22c2 }, DirectFallbackReason.EXT_UNSUPPORTED_FEATURE],
    ["bigalloc", { roCompat: 0x66b }, DirectFallbackReason.EXT_UNSUPPORTED_FEATURE],
    ["quota", { roCompat: 0x56b }, DirectFallbackReason.EXT_UNSUPPORTED_FEATURE],
    ["shared_blocks", { roCompat: 0x446b }, DirectFallbackReason.EXT_UNSUPPORTED_FEATURE],
    ["an unknown compat bit", { compat: 0x8000003c }, DirectFallbackReason.EXT_UNSUPPORTED_FEATURE],
    ["revision 0 with feature bits", { revLevel: 0 }, DirectFallbackReason.EXT_NOT_CLEAN],
  ])("%s", (_, change, reason) => {
    expect(reasonOf(() => checkExtClean({ ...clean, ...change }))).toBe(reason);
  });
});

describe("extSuperblockProblem", () => {
  const length = 262144 * 4096;
  it.each<[string, Partial<ExtSuperblock>, RegExp | null]>([
    ["a sane superblock", {}, null],
    ["wrong magic", { magic: 0x1234 }, /magic/],
    ["a block size beyond 64 KiB", { blockSize: 0 }, /block size/],
    ["more blocks than the partition holds", { blocksCount: 262145 }, /do not fit/],
    ["no blocks", { blocksCount: 0 }, /do not fit/],
    ["1 KiB blocks must start at block 1", { blockSize: 1024 }, /first data block/],
    ["bigalloc clusters", { clusterLog: 4 }, /bigalloc/],
    ["more blocks per group than a bitmap has bits", { blocksPerGroup: 32776 }, /blocks per group/],
    ["a descriptor size that is no power of two", { descSize: 48 }, /descriptor size/],
    ["an inode larger than a block", { inodeSize: 8192 }, /inode size/],
  ])("%s", (_, change, problem) => {
    const found = extSuperblockProblem({ ...clean, ...change }, length);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeNull();
  });
});

describe("group layout", () => {
  const backups: Array<[number, boolean]> = [
    [0, true],
    [1, true],
    [2, false],
    [3, true],
    [4, false],
    [5, true],
    [7, true],
    [9, true],
  ];
  backups.push([25, true], [27, true], [49, true], [50, false], [81, true], [125, true]);
  it.each(backups)("sparse_super: group %i has a superblock backup: %s", (group, expected) =>
    expect(hasSuperblockBackup(clean, group)).toBe(expected),
  );

  it("without sparse_super every group has a backup", () => {
    expect(hasSuperblockBackup({ ...clean, roCompat: 0x2 }, 50)).toBe(true);
  });

  it.each<[string, Partial<ExtSuperblock>, number, number]>([
    ["4 KiB blocks, 64-byte descriptors", {}, 8, 1],
    [
      "1 KiB blocks start at block 1: the last group is short",
      { blockSize: 1024, firstDataBlock: 1, blocksCount: 262144, blocksPerGroup: 8192, descSize: 32 },
      32,
      1,
    ],
    ["enough groups to need two descriptor blocks", { blocksCount: 65 * 32768 }, 65, 2],
  ])("%s", (_, change, groups, gdt) => {
    const sb = { ...clean, ...change };
    expect([groupCount(sb), gdtBlocks(sb)]).toEqual([groups, gdt]);
  });

  it("a BLOCK_UNINIT group's bitmap marks its superblock backup, descriptor table and reserved GDT blocks only", () => {
    const withBackup = clearBitRuns(uninitBitmap(clean, 1), 32768, 32768);
    expect(withBackup).toEqual([[32768 + 1 + 1 + 127, 65535]]);
    expect(clearBitRuns(uninitBitmap(clean, 2), 65536, 32768)).toEqual([[65536, 98303]]);
  });

  it("parses 32- and 64-byte descriptors, high halves included", () => {
    const table = Buffer.alloc(2 * 64);
    table.writeUInt32LE(100, 0x00);
    table.writeUInt32LE(1, 0x20); // block bitmap at 2^32 + 100
    table.writeUInt32LE(101, 0x04);
    table.writeUInt32LE(102, 0x08);
    table.writeUInt16LE(7, 0x0c);
    table.writeUInt16LE(1, 0x2c); // free blocks 65536 + 7
    table.writeUInt16LE(0x2, 0x12);
    const sb = { ...clean, blocksCount: 40000 };
    const rest = { inodeBitmap: 101, inodeTable: 102, flags: 2 };
    expect(parseGroupDescriptors(sb, table)[0]).toEqual({ blockBitmap: 2 ** 32 + 100, freeBlocks: 65543, ...rest });
    // 32-byte descriptors: the same bytes' high halves are the next descriptor, not read as such.
    expect(parseGroupDescriptors({ ...sb, descSize: 32 }, table)[0]).toEqual({ blockBitmap: 100, freeBlocks: 7, ...rest });
    expect(() => parseGroupDescriptors({ ...sb, blocksCount: 262144 }, table)).toThrow(/8 groups need 512/);
  });
});

describe("bitmap runs", () => {
  it.each<[string, number[], number, BlockRun[]]>([
    ["all used", [0xff, 0xff], 16, []],
    ["all free", [0, 0], 16, [[1000, 1015]]],
    ["bit order is little-endian within a byte", [0b11110001, 0xff], 16, [[1001, 1003]]],
    ["a run across bytes, cut at count (padding ignored)", [0x0f, 0x00, 0x00], 20, [[1004, 1019]]],
  ])("%s", (_, bytes, count, expected) => {
    expect(clearBitRuns(Buffer.from(bytes), 1000, count)).toEqual(expected);
  });

  it("refuses a bitmap shorter than its count", () => {
    expect(() => clearBitRuns(Buffer.alloc(1), 0, 9)).toThrow(RangeError);
  });

  it.each<[string, BlockRun[], BlockRun[], BlockRun[]]>([
    ["nothing used", [[0, 9]], [], [[0, 9]]],
    [
      "a hole in the middle",
      [[0, 9]],
      [[3, 4]],
      [
        [0, 2],
        [5, 9],
      ],
    ],
    [
      "unsorted cuts over both ends and across runs",
      [
        [0, 9],
        [20, 29],
      ],
      [
        [25, 40],
        [8, 21],
        [0, 0],
      ],
      [
        [1, 7],
        [22, 24],
      ],
    ],
    ["everything used", [[5, 6]], [[0, 100]], []],
  ])("subtractRuns: %s", (_, runs, used, expected) => {
    expect(subtractRuns(runs, used)).toEqual(expected);
  });
});

describe("parseDumpe2fsHeader", () => {
  const header = [
    "Filesystem UUID:          3D254651-a752-4c1c-a15f-76f0c19fc3f5",
    "Filesystem magic number:  0xEF53",
    "Block count:              307200",
    "Block size:               1024",
    "",
  ].join("\n");
  it("reads magic, block size, block count and UUID", () => {
    const uuid = "3d254651-a752-4c1c-a15f-76f0c19fc3f5";
    expect(parseDumpe2fsHeader(header)).toEqual({ magic: 0xef53, blockSize: 1024, blockCount: 307200, uuid });
  });
  it.each([["Block count"], ["Filesystem UUID"], ["Filesystem magic number"]])("refuses output without %s", (label) => {
    expect(() => parseDumpe2fsHeader(header.replace(new RegExp(`^${label}:.*$`, "m"), ""))).toThrow(label);
  });
  it("formats a superblock UUID as dumpe2fs prints it", () => {
    expect(formatUuid(Buffer.from("3d254651a7524c1ca15f76f0c19fc3f5", "hex"))).toBe("3d254651-a752-4c1c-a15f-76f0c19fc3f5");
    expect(formatUuid(Buffer.alloc(16))).toBe("<none>");
  });
});
