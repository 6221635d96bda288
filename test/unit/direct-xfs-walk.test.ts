/**
 * readXfsFreeFromBtrees on small hand-built AGs in memory: the walk follows a two-level btree,
 * and refuses what a hostile image could hold (a pointer seen twice, out of the AG, records out of
 * order, totals the AGF does not state).
 */
import { describe, expect, it } from "vitest";
import { DirectFallbackReason } from "../../src/domain/direct-method.js";
import { DirectRefusal } from "../../src/host/direct/direct-contract.js";
import { XFS_BNOBT_MAGIC } from "../../src/host/direct/xfs-btree-block.js";
import { readXfsFreeFromBtrees } from "../../src/host/direct/xfs-btree-reader.js";
import type { XfsSuperblock } from "../../src/host/direct/xfs-superblock.js";

const BLOCK = 1024;
const AG_BLOCKS = 64;
const sb = { blockSize: BLOCK, sectSize: 512, agBlocks: AG_BLOCKS, agCount: 1, dBlocks: AG_BLOCKS } as XfsSuperblock;

interface Ag {
  root: number;
  levels: number;
  freeBlocks: number;
  longest: number;
  blocks: Record<number, { level: number; records?: Array<[number, number]>; pointers?: number[] }>;
}

function disk(ag: Ag): (offset: number, length: number) => Promise<Buffer> {
  const bytes = Buffer.alloc(AG_BLOCKS * BLOCK);
  const agf = bytes.subarray(512, 1024);
  agf.writeUInt32BE(0x58414746, 0);
  agf.writeUInt32BE(AG_BLOCKS, 12);
  agf.writeUInt32BE(ag.root, 16);
  agf.writeUInt32BE(ag.levels, 28);
  agf.writeUInt32BE(ag.freeBlocks, 52);
  agf.writeUInt32BE(ag.longest, 56);
  bytes.writeUInt32BE(0x5841464c, 1536); // an empty free list
  for (const [bno, block] of Object.entries(ag.blocks)) {
    const b = bytes.subarray(Number(bno) * BLOCK, (Number(bno) + 1) * BLOCK);
    const items = block.level ? block.pointers! : block.records!;
    b.writeUInt32BE(XFS_BNOBT_MAGIC, 0);
    b.writeUInt16BE(block.level, 4);
    b.writeUInt16BE(items.length, 6);
    b.writeBigUInt64BE(BigInt((Number(bno) * BLOCK) / 512), 16);
    b.writeUInt32BE(0, 48);
    const maxRecs = Math.floor((BLOCK - 56) / 12);
    if (block.level) block.pointers!.forEach((p, i) => b.writeUInt32BE(p, 56 + maxRecs * 8 + i * 4));
    else block.records!.forEach(([s, l], i) => (b.writeUInt32BE(s, 56 + i * 8), b.writeUInt32BE(l, 60 + i * 8)));
  }
  return async (offset, length) => bytes.subarray(offset, offset + length);
}

const twoLevels: Ag = {
  root: 4,
  levels: 2,
  freeBlocks: 30,
  longest: 20,
  blocks: {
    4: { level: 1, pointers: [5, 6] },
    5: {
      level: 0,
      records: [
        [10, 5],
        [20, 5],
      ],
    },
    6: { level: 0, records: [[40, 20]] },
  },
};

describe("readXfsFreeFromBtrees", () => {
  it("walks a two-level by-block btree in key order", async () => {
    expect(await readXfsFreeFromBtrees(disk(twoLevels), 0, sb)).toEqual({
      extents: [
        [0, 10, 5],
        [0, 20, 5],
        [0, 40, 20],
      ],
      freeList: [],
    });
  });

  it.each<[string, Partial<Ag>, RegExp]>([
    ["a leaf reached twice", { blocks: { ...twoLevels.blocks, 4: { level: 1, pointers: [5, 5] } } }, /seen twice/],
    ["a pointer outside the AG", { blocks: { ...twoLevels.blocks, 4: { level: 1, pointers: [5, 64] } } }, /block 64/],
    ["leaves out of order", { blocks: { ...twoLevels.blocks, 4: { level: 1, pointers: [6, 5] } } }, /out of order/],
    ["an extent past the AG's end", { blocks: { ...twoLevels.blocks, 6: { level: 0, records: [[50, 20]] } } }, /outside the AG/],
    ["a free count the AGF does not state", { freeBlocks: 31 }, /the AGF says 31/],
    ["a root at the wrong level", { levels: 1 }, /level 1, expected 0/],
    ["a btree deeper than XFS allows", { levels: 10 }, /10 levels/],
  ])("refuses %s", async (_, change, message) => {
    const error = await readXfsFreeFromBtrees(disk({ ...twoLevels, ...change }), 0, sb).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DirectRefusal);
    expect((error as DirectRefusal).reason).toBe(DirectFallbackReason.FREE_SPACE_READERS_DISAGREE);
    expect((error as DirectRefusal).message).toMatch(message);
  });
});
