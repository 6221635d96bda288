import { clip, type ByteRange } from "./interval-math.js";

/** What `dumpe2fs` (without `-h`) says about free space. Block numbers are inclusive. */
export interface ExtFreeBlocks {
  blockSize: number;
  /** Free runs exactly as listed: one group at a time, so a run never crosses a group. */
  runs: Array<[first: number, last: number]>;
}

// Group lines are indented ("  Free blocks: 4247-32767, 40000"); the header's total is not.
const GROUP_FREE_LINE = /^[ \t]+Free blocks:[ \t]*(.*)$/gm;
const BLOCK_SIZE_LINE = /^Block size:\s+(\d+)\s*$/m;

/**
 * Parses the free-block lists of `dumpe2fs` output. The text describes an untrusted guest
 * filesystem: malformed items are skipped, and a block size that is not a power of two in
 * 1 KiB..64 KiB (what ext2/3/4 allow) is an error. Pure.
 */
export function parseExtFreeBlocks(dumpe2fs: string): ExtFreeBlocks {
  const blockSize = Number(BLOCK_SIZE_LINE.exec(dumpe2fs)?.[1]);
  if (!Number.isInteger(blockSize) || blockSize < 1024 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0) {
    throw new Error(`dumpe2fs output has no valid "Block size" (${String(blockSize)})`);
  }
  const runs: Array<[number, number]> = [];
  for (const [, list] of dumpe2fs.matchAll(GROUP_FREE_LINE)) {
    for (const item of list!.split(",")) {
      const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(item);
      if (!m) continue;
      const first = Number(m[1]);
      const last = m[2] === undefined ? first : Number(m[2]);
      if (Number.isSafeInteger(first) && Number.isSafeInteger(last) && last >= first) runs.push([first, last]);
    }
  }
  return { blockSize, runs };
}

/** Free runs merged across groups, in blocks: the historical test-helper shape. Pure. */
export function parseFreeBlocks(dumpe2fs: string): { blockSize: number; ranges: Array<[number, number]> } {
  const { blockSize, runs } = parseExtFreeBlocks(dumpe2fs);
  const ranges: Array<[number, number]> = [];
  for (const [first, last] of runs) {
    const prev = ranges.at(-1);
    if (prev && prev[1] + 1 === first) prev[1] = last;
    else ranges.push([first, last]);
  }
  return { blockSize, ranges };
}

/**
 * The free runs of a filesystem at `fsStart` as disk byte ranges, one per run (unmerged, so
 * discard alignment can be applied per request), cut to the partition `[fsStart, fsEnd)`:
 * a hostile filesystem may list blocks beyond its end. Pure.
 */
export function extFreeByteRanges(free: ExtFreeBlocks, fsStart: number, fsEnd: number): ByteRange[] {
  const ranges = free.runs.map(([first, last]) => ({
    start: fsStart + first * free.blockSize,
    end: fsStart + (last + 1) * free.blockSize,
  }));
  return clip(ranges, fsStart, fsEnd);
}
