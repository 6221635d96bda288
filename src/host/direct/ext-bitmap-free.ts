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
  for (let i = 0; i < count;) {
    const byte = bitmap[i >> 3]!;
    // Whole bytes of one kind (most of a bitmap) are taken at once.
    if ((i & 7) === 0 && i + 8 <= count && (byte === 0 || byte === 0xff)) {
      if (byte === 0 && start < 0) start = i;
      if (byte === 0xff && start >= 0) {
        runs.push([first + start, first + i - 1]);
        start = -1;
      }
      i += 8;
      continue;
    }
    const used = (byte >> (i & 7)) & 1;
    if (!used && start < 0) start = i;
    if (used && start >= 0) {
      runs.push([first + start, first + i - 1]);
      start = -1;
    }
    i++;
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
  return descriptors.flatMap(
    (d) =>
      [
        [d.blockBitmap, d.blockBitmap],
        [d.inodeBitmap, d.inodeBitmap],
        [d.inodeTable, d.inodeTable + tableBlocks - 1],
      ] as BlockRun[],
  );
}

/** `runs` minus `used` (inclusive runs, in any order; the result is sorted). Linear after sorting. Pure. */
export function subtractRuns(runs: readonly BlockRun[], used: readonly BlockRun[]): BlockRun[] {
  const cuts = [...used].sort((a, b) => a[0] - b[0]);
  const out: BlockRun[] = [];
  let c = 0;
  for (const [first, last] of [...runs].sort((a, b) => a[0] - b[0])) {
    // Cuts ending before this run end before every later one too (runs are sorted by start)...
    while (c < cuts.length && cuts[c]![1] < first) c++;
    let from = first;
    // ...but a cut may reach past this run into the next, so the scan restarts at c each time.
    for (let k = c; k < cuts.length && cuts[k]![0] <= last; k++) {
      const [uFirst, uLast] = cuts[k]!;
      if (uLast < from) continue;
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
