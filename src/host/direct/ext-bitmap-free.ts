import type { ExtGroupDescriptor } from "./ext-group-descriptors.js";
import { gdtBlocks, groupSpan, hasSuperblockBackup } from "./ext-group-descriptors.js";
import type { ExtSuperblock } from "./ext-superblock.js";

/** An inclusive run of free blocks, as dumpe2fs lists them. */
export type BlockRun = [first: number, last: number];

/** Runs of clear bits among the first `count` bits of `bitmap` (bit i = block `first + i`), little-endian bit order. Pure. */
export function clearBitRuns(bitmap: Buffer, first: number, count: number): BlockRun[] {
  if (bitmap.length * 8 < count) throw new RangeError(`bitmap of ${bitmap.length} bytes cannot cover ${count} blocks`);
  const runs: BlockRun[] = [];
  let start = -1;
  for (let i = 0; i < count; i++) {
    const used = (bitmap[i >> 3]! >> (i & 7)) & 1;
    if (!used && start < 0) start = i;
    if (used && start >= 0) {
      runs.push([first + start, first + i - 1]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([first + start, first + count - 1]);
  return runs;
}

/**
 * The bitmap of a BLOCK_UNINIT group, built as the kernel and libext2fs build it: every block
 * free except the superblock backup, descriptor table and reserved GDT blocks at its start.
 * (Every group's own bitmaps and inode table are marked later, wherever flex_bg put them.) Pure.
 */
export function uninitBitmap(sb: ExtSuperblock, group: number): Buffer {
  const bitmap = Buffer.alloc(sb.blockSize);
  const base = hasSuperblockBackup(sb, group) ? 1 + gdtBlocks(sb) + sb.reservedGdtBlocks : 0;
  for (let i = 0; i < Math.min(base, sb.blocksPerGroup); i++) bitmap[i >> 3]! |= 1 << (i & 7);
  return bitmap;
}

/** Blocks every group's metadata takes, wherever it is: bitmaps and inode table. Pure. */
export function groupMetadataRuns(sb: ExtSuperblock, descriptors: readonly ExtGroupDescriptor[]): BlockRun[] {
  const tableBlocks = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / sb.blockSize);
  return descriptors.flatMap((d) => [
    [d.blockBitmap, d.blockBitmap],
    [d.inodeBitmap, d.inodeBitmap],
    [d.inodeTable, d.inodeTable + tableBlocks - 1],
  ] as BlockRun[]);
}

/** `runs` minus `used` (both lists of inclusive runs; `used` need not be sorted). Pure. */
export function subtractRuns(runs: readonly BlockRun[], used: readonly BlockRun[]): BlockRun[] {
  const cuts = [...used].sort((a, b) => a[0] - b[0]);
  const out: BlockRun[] = [];
  for (const [first, last] of runs) {
    let from = first;
    for (const [uFirst, uLast] of cuts) {
      if (uLast < from || uFirst > last) continue;
      if (uFirst > from) out.push([from, uFirst - 1]);
      from = Math.max(from, uLast + 1);
      if (from > last) break;
    }
    if (from <= last) out.push([from, last]);
  }
  return out;
}

/** One group's free runs from its bitmap, limited to the group's blocks (the last group's padding is ignored). Pure. */
export function groupFreeRuns(sb: ExtSuperblock, group: number, bitmap: Buffer): BlockRun[] {
  const { first, count } = groupSpan(sb, group);
  return clearBitRuns(bitmap, first, count);
}
