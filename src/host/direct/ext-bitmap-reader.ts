import { DirectFallbackReason } from "../../domain/direct-method.js";
import type { ReadAt } from "../estimate/partition-table.js";
import { DirectRefusal } from "./direct-contract.js";
import { groupFreeRuns, groupMetadataRuns, subtractRuns, uninitBitmap, type BlockRun } from "./ext-bitmap-free.js";
import {
  BG_BLOCK_UNINIT,
  gdtBlocks,
  groupCount,
  groupSpan,
  hasSuperblockBackup,
  honoursUninit,
  parseGroupDescriptors,
} from "./ext-group-descriptors.js";
import type { ExtSuperblock } from "./ext-superblock.js";

/** Consecutive bitmap blocks (flex_bg packs them) are read together, up to this many bytes. */
const MAX_READ_BYTES = 1024 * 1024;

const unreadable = (why: string) =>
  new DirectRefusal(DirectFallbackReason.FREE_SPACE_READERS_DISAGREE, `ext block bitmaps: ${why}`);

async function readExact(read: ReadAt, offset: number, length: number): Promise<Buffer> {
  const bytes = await read(offset, length);
  if (bytes.length !== length) throw unreadable(`short read of ${bytes.length}/${length} bytes at ${offset}`);
  return bytes;
}

/** Reads each listed block once, batching runs of consecutive block numbers. */
async function readBlocks(
  read: ReadAt,
  fsStart: number,
  blockSize: number,
  blocks: readonly number[],
): Promise<Map<number, Buffer>> {
  const sorted = [...new Set(blocks)].sort((a, b) => a - b);
  const out = new Map<number, Buffer>();
  for (let i = 0; i < sorted.length;) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[j - 1]! + 1 && (j - i + 1) * blockSize <= MAX_READ_BYTES) j++;
    const bytes = await readExact(read, fsStart + sorted[i]! * blockSize, (j - i) * blockSize);
    for (let k = i; k < j; k++) out.set(sorted[k]!, bytes.subarray((k - i) * blockSize, (k - i + 1) * blockSize));
    i = j;
  }
  return out;
}

/**
 * Reader 2 for ext: the free blocks from the group descriptors and block bitmaps, read directly
 * at absolute disk offsets (`fsStart + block × blockSize`, the arithmetic the discards use).
 * Handles 32- and 64-byte descriptors, flex_bg (bitmaps anywhere), BLOCK_UNINIT (with checksummed
 * descriptors) and 1 KiB blocks (block 0 is the boot block, outside every group). Every group's
 * superblock backup, descriptor tables, bitmaps and inode table count as used even if a bitmap
 * says otherwise, and the free total must equal the descriptors' counts.
 *
 * In-process rather than sandboxed: plain bounds-checked TypeScript over Buffers (no native
 * parser to exploit), every offset checked against the superblock's block count, which the
 * caller checked against the partition, and every loop bounded by the group count.
 * @throws {DirectRefusal} FREE_SPACE_READERS_DISAGREE when the metadata is inconsistent.
 */
export async function readExtFreeFromBitmaps(read: ReadAt, fsStart: number, sb: ExtSuperblock): Promise<BlockRun[]> {
  const groups = groupCount(sb);
  const table = await readExact(read, fsStart + (sb.firstDataBlock + 1) * sb.blockSize, groups * sb.descSize);
  const descriptors = parseGroupDescriptors(sb, table);
  const inFs = (block: number) => block >= sb.firstDataBlock && block < sb.blocksCount;
  const metadata = groupMetadataRuns(sb, descriptors);
  for (const [first, last] of metadata) {
    if (!inFs(first) || !inFs(last)) throw unreadable(`group metadata at blocks ${first}-${last} lies outside the filesystem`);
  }
  const uninit = descriptors.map((d) => honoursUninit(sb) && (d.flags & BG_BLOCK_UNINIT) !== 0);
  const bitmaps = await readBlocks(
    read,
    fsStart,
    sb.blockSize,
    descriptors.filter((_, g) => !uninit[g]).map((d) => d.blockBitmap),
  );
  const used: BlockRun[] = [...metadata];
  let free: BlockRun[] = [];
  for (let g = 0; g < groups; g++) {
    const bitmap = uninit[g] ? uninitBitmap(sb, g) : bitmaps.get(descriptors[g]!.blockBitmap)!;
    free.push(...groupFreeRuns(sb, g, bitmap));
    if (hasSuperblockBackup(sb, g)) {
      const { first } = groupSpan(sb, g);
      used.push([first, first + gdtBlocks(sb) + sb.reservedGdtBlocks]);
    }
  }
  free = subtractRuns(free, used);
  const total = free.reduce((sum, [first, last]) => sum + last - first + 1, 0);
  const counted = descriptors.reduce((sum, d) => sum + d.freeBlocks, 0);
  if (total !== counted) throw unreadable(`bitmaps show ${total} free blocks, the group descriptors count ${counted}`);
  return free;
}
