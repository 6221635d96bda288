import { describe, expect, it } from "vitest";
import { DirectFallbackReason } from "../../src/domain/direct-method.js";
import { DirectRefusal } from "../../src/host/direct/direct-contract.js";
import { parseAgf, parseAgflBlocks, type XfsAgf } from "../../src/host/direct/xfs-ag-headers.js";
import { parseBnobtBlock, XFS_BNOBT_MAGIC } from "../../src/host/direct/xfs-btree-block.js";
import { parseXfsLogState } from "../../src/host/direct/xfs-log-state.js";
import { checkXfsSuperblock, parseXfsSuperblock, xfsLogBlock, type XfsSuperblock } from "../../src/host/direct/xfs-superblock.js";
import { fixtureJson, headOf, type SectorDump } from "../support/estimate-fixtures.js";

const heads = fixtureJson<Record<string, SectorDump>>("fs-heads.json");

/** mkfs.xfs 6.1 defaults on 320 MiB: 4 AGs of 20480 blocks, log in AG 2. */
const clean: XfsSuperblock = {
  magic: 0x58465342,
  blockSize: 4096,
  dBlocks: 81920,
  rBlocks: 0,
  logStart: 65542,
  logBlocks: 16384,
  agBlkLog: 15,
  agBlocks: 20480,
  agCount: 4,
  versionNum: 0xb4a5,
  sectSize: 512,
  inProgress: 0,
  featuresCompat: 0,
  featuresRoCompat: 0xd,
  featuresIncompat: 0xb,
  featuresLogIncompat: 0,
  uuid: Buffer.alloc(16, 2),
};
const length = 81920 * 4096;

const reasonOf = (f: () => void): DirectFallbackReason | null => {
  try {
    f();
    return null;
  } catch (error) {
    if (error instanceof DirectRefusal) return error.reason;
    throw error;
  }
};

describe("XFS superblock", () => {
  it("parses the superblock mkfs.xfs wrote (fs-heads.json) and accepts it", async () => {
    const sb = parseXfsSuperblock(await headOf(heads.xfs!, 512));
    expect(sb.magic).toBe(0x58465342);
    expect(sb.versionNum & 0xf).toBe(5);
    expect(reasonOf(() => checkXfsSuperblock(sb, sb.dBlocks * sb.blockSize))).toBeNull();
  });

  it("finds the log from its AG-encoded start: AG 2, block 6", () => {
    expect(xfsLogBlock(clean)).toBe(2 * 20480 + 6);
  });

  it.each<[string, Partial<XfsSuperblock>, DirectFallbackReason | null]>([
    ["mkfs.xfs defaults", {}, null],
    ["rmapbt and reflink", { featuresRoCompat: 0xf }, null],
    ["wrong magic", { magic: 0x58465343 }, DirectFallbackReason.SUPERBLOCK_MISMATCH],
    ["a v4 filesystem", { versionNum: 0xb4a4 }, DirectFallbackReason.XFS_UNSUPPORTED_FEATURE],
    ["log incompat features (items to replay)", { featuresLogIncompat: 1 }, DirectFallbackReason.XFS_LOG_DIRTY],
    ["needsrepair", { featuresIncompat: 0x1b }, DirectFallbackReason.XFS_UNSUPPORTED_FEATURE],
    ["large extent counters (nrext64)", { featuresIncompat: 0x2b }, DirectFallbackReason.XFS_UNSUPPORTED_FEATURE],
    ["an unknown ro_compat bit", { featuresRoCompat: 0x1d }, DirectFallbackReason.XFS_UNSUPPORTED_FEATURE],
    ["a compat bit", { featuresCompat: 1 }, DirectFallbackReason.XFS_UNSUPPORTED_FEATURE],
    ["an external log", { logStart: 0 }, DirectFallbackReason.XFS_UNSUPPORTED_FEATURE],
    ["a realtime section", { rBlocks: 1000 }, DirectFallbackReason.XFS_UNSUPPORTED_FEATURE],
    ["mkfs in progress", { inProgress: 1 }, DirectFallbackReason.XFS_UNSUPPORTED_FEATURE],
    ["more blocks than the partition", { blockSize: 8192 }, DirectFallbackReason.SUPERBLOCK_MISMATCH],
    ["more blocks than its AGs hold", { dBlocks: 81921 }, DirectFallbackReason.SUPERBLOCK_MISMATCH],
    ["an AG too many", { agCount: 5 }, DirectFallbackReason.SUPERBLOCK_MISMATCH],
    ["agblklog that does not fit agblocks", { agBlkLog: 16 }, DirectFallbackReason.SUPERBLOCK_MISMATCH],
    ["a log beyond the filesystem", { logStart: (3 << 15) | 20000 }, DirectFallbackReason.SUPERBLOCK_MISMATCH],
    ["a sector larger than a block", { blockSize: 512, sectSize: 1024 }, DirectFallbackReason.SUPERBLOCK_MISMATCH],
  ])("%s", (_, change, reason) => {
    expect(reasonOf(() => checkXfsSuperblock({ ...clean, ...change }, length))).toBe(reason);
  });
});

describe("parseXfsLogState (xfs_logprint -t)", () => {
  const line = (tail: number, head: number, state: string) =>
    `xfs_logprint:\n    data device: 0xffffffffffffffff\n\n    log tail: ${tail} head: ${head} state: <${state}>\n`;
  it.each<[string, string, boolean]>([
    ["clean: head = tail", line(2, 2, "CLEAN"), true],
    ["dirty", line(2, 226, "DIRTY"), false],
    ["CLEAN but head ≠ tail is not believed", line(2, 8, "CLEAN"), false],
    ["DIRTY with head = tail is not believed either", line(8, 8, "DIRTY"), false],
  ])("%s", (_, text, clean) => {
    expect(parseXfsLogState(text).clean).toBe(clean);
  });
  const broken = [
    ["no state line", "xfs_logprint:\n"],
    ["two state lines", line(2, 2, "CLEAN") + line(2, 2, "CLEAN")],
  ];
  it.each(broken)("refuses %s", (_, text) => {
    expect(() => parseXfsLogState(text)).toThrow(/log state lines/);
  });
});

/** A v5 by-block btree block of 1 KiB at AG 1 block 9 of a 4-AG, 1000-block-per-AG, 1 KiB-block filesystem. */
interface BlockFields {
  level?: number;
  records?: Array<[number, number]>;
  pointers?: number[];
  magic?: number;
  daddr?: number;
  owner?: number;
  numrecs?: number;
}
function bnoBlock(opts: BlockFields = {}): Buffer {
  const b = Buffer.alloc(1024);
  b.writeUInt32BE(opts.magic ?? XFS_BNOBT_MAGIC, 0);
  b.writeUInt16BE(opts.level ?? 0, 4);
  const items = opts.level ? (opts.pointers ?? []) : (opts.records ?? []);
  b.writeUInt16BE(opts.numrecs ?? items.length, 6);
  b.writeUInt32BE(0xffffffff, 8);
  b.writeUInt32BE(0xffffffff, 12);
  b.writeBigUInt64BE(BigInt(opts.daddr ?? ((1000 + 9) * 1024) / 512), 16);
  b.writeUInt32BE(opts.owner ?? 1, 48);
  if (!opts.level) (opts.records ?? []).forEach(([s, l], i) => (b.writeUInt32BE(s, 56 + i * 8), b.writeUInt32BE(l, 60 + i * 8)));
  else (opts.pointers ?? []).forEach((ptr, i) => b.writeUInt32BE(ptr, 56 + Math.floor((1024 - 56) / 12) * 8 + i * 4));
  return b;
}
const where = { daddr: ((1000 + 9) * 1024) / 512, agno: 1 };

describe("parseBnobtBlock", () => {
  it("reads a leaf's records and a node's pointers (after maxrecs keys)", () => {
    expect(
      parseBnobtBlock(
        bnoBlock({
          records: [
            [10, 5],
            [30, 2],
          ],
        }),
        { ...where, level: 0 },
      ).records,
    ).toEqual([
      [10, 5],
      [30, 2],
    ]);
    expect(parseBnobtBlock(bnoBlock({ level: 1, pointers: [12, 13] }), { ...where, level: 1 }).pointers).toEqual([12, 13]);
  });
  it.each<[string, BlockFields, number, RegExp]>([
    ["a by-size (cnt) block", { magic: 0x41423343 }, 0, /magic/],
    ["a v4 block", { magic: 0x41425442 }, 0, /magic/],
    ["the wrong level", { level: 1, pointers: [3] }, 0, /level 1, expected 0/],
    ["a block claiming another address", { daddr: 8 }, 0, /daddr/],
    ["a block of another AG", { owner: 2 }, 0, /owned by AG 2/],
    ["more records than fit", { numrecs: 122 }, 0, /do not fit/],
    ["an empty node", { level: 1, pointers: [] }, 1, /0 keys/],
  ])("refuses %s", (_, opts, level, message) => {
    expect(() => parseBnobtBlock(bnoBlock(opts), { ...where, level })).toThrow(message);
  });
});

describe("AG headers", () => {
  const agf = (change: Partial<XfsAgf> = {}): Buffer => {
    const v = {
      seqno: 1,
      length: 1000,
      bnoRoot: 1,
      bnoLevel: 1,
      flFirst: 0,
      flLast: 3,
      flCount: 4,
      freeBlocks: 900,
      longest: 800,
    };
    Object.assign(v, change);
    const b = Buffer.alloc(512);
    b.writeUInt32BE(0x58414746, 0);
    const fields = [
      [8, v.seqno],
      [12, v.length],
      [16, v.bnoRoot],
      [28, v.bnoLevel],
      [40, v.flFirst],
      [44, v.flLast],
      [48, v.flCount],
    ];
    fields.push([52, v.freeBlocks], [56, v.longest]);
    fields.forEach(([o, n]) => b.writeUInt32BE(n!, o!));
    return b;
  };
  const agfl = (blocks: number[]): Buffer => {
    const b = Buffer.alloc(512);
    b.writeUInt32BE(0x5841464c, 0);
    blocks.forEach((n, i) => b.writeUInt32BE(n, 36 + i * 4));
    return b;
  };
  const slots = Array.from({ length: 119 }, (_, i) => 100 + i);

  it("reads the AGF and refuses another AG's", () => {
    expect(parseAgf(agf(), 1)).toMatchObject({ bnoRoot: 1, freeBlocks: 900, flCount: 4 });
    expect(() => parseAgf(agf(), 2)).toThrow(/says it is AG 1/);
  });
  it.each<[string, Partial<XfsAgf>, number[] | RegExp]>([
    ["an empty list", { flCount: 0, flFirst: 0, flLast: 118 }, []],
    ["the active entries", { flFirst: 2, flLast: 4, flCount: 3 }, [102, 103, 104]],
    ["a list that wraps around the ring", { flFirst: 117, flLast: 1, flCount: 4 }, [217, 218, 100, 101]],
    ["a count that does not end at flLast", { flFirst: 0, flLast: 5, flCount: 3 }, /does not end/],
    ["a slot beyond the sector", { flFirst: 200, flLast: 201, flCount: 2 }, /slots/],
  ])("free list: %s", (_, change, expected) => {
    const parse = () => parseAgflBlocks(agfl(slots), parseAgf(agf(change), 1), 1);
    if (expected instanceof RegExp) expect(parse).toThrow(expected);
    else expect(parse()).toEqual(expected);
  });
});
