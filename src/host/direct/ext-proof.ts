import { DirectFallbackReason } from "../../domain/direct-method.js";
import { parseExtFreeBlocks } from "../estimate/ext-free-ranges.js";
import { clip, type ByteRange } from "../estimate/interval-math.js";
import { DirectRefusal, type PartitionView, type ProvenFreeSpace } from "./direct-contract.js";
import { parseDumpe2fsHeader } from "./dumpe2fs-header.js";
import type { BlockRun } from "./ext-bitmap-free.js";
import { readExtFreeFromBitmaps } from "./ext-bitmap-reader.js";
import { checkExtClean } from "./ext-clean-check.js";
import { EXT_SUPERBLOCK_BYTES, EXT_SUPERBLOCK_OFFSET, extSuperblockProblem, parseExtSuperblock } from "./ext-superblock.js";
import { agreedFree } from "./readers-agree.js";
import { formatUuid } from "./uuid-text.js";
import { parseUntrusted } from "./untrusted-text.js";

const mismatch = (why: string) => new DirectRefusal(DirectFallbackReason.SUPERBLOCK_MISMATCH, `ext superblock: ${why}`);

const toBytes = (runs: readonly BlockRun[], fsStart: number, blockSize: number): ByteRange[] =>
  runs.map(([first, last]) => ({ start: fsStart + first * blockSize, end: fsStart + (last + 1) * blockSize }));

/**
 * Proves the free blocks of a clean ext2/3/4 filesystem: its superblock read at the partition's
 * absolute offset (clean, allowed features, sane geometry), dumpe2fs on the partition's window
 * (reader 1, sandboxed) reporting the same magic, block size, block count and UUID, the block bitmaps read
 * directly (reader 2), and only what both call free, cut to the filesystem and the partition.
 * @throws {DirectRefusal}
 */
export async function proveExtFree(view: PartitionView, signal?: AbortSignal): Promise<ProvenFreeSpace> {
  const { start, length } = view.partition;
  const bytes = await view.readDisk(start + EXT_SUPERBLOCK_OFFSET, EXT_SUPERBLOCK_BYTES);
  if (bytes.length !== EXT_SUPERBLOCK_BYTES) throw mismatch(`short read at ${start + EXT_SUPERBLOCK_OFFSET}`);
  const sb = parseExtSuperblock(bytes);
  if (sb.magic !== 0xef53) throw mismatch(`no ext magic at ${start + EXT_SUPERBLOCK_OFFSET}`);
  checkExtClean(sb);
  const problem = extSuperblockProblem(sb, length);
  if (problem) throw mismatch(problem);
  const parse = (t: string) => ({ header: parseDumpe2fsHeader(t), free: parseExtFreeBlocks(t) });
  // The two readers are independent: the bitmaps are read while dumpe2fs runs in its sandbox.
  // dumpe2fs's verdict still comes first, so a mismatch is reported as before.
  const [dumped, bitmaps] = await Promise.allSettled([
    parseUntrusted(["dumpe2fs", view.path], parse, signal ? { signal } : {}),
    readExtFreeFromBitmaps(view.readDisk, start, sb),
  ]);
  if (dumped.status === "rejected") throw dumped.reason;
  const text = dumped.value;
  const { header } = text;
  const uuid = formatUuid(sb.uuid);
  // The UUID too: two filesystems made alike have the same geometry, never the same UUID.
  if (
    header.magic !== sb.magic ||
    header.blockSize !== sb.blockSize ||
    header.blockCount !== sb.blocksCount ||
    header.uuid !== uuid
  ) {
    throw mismatch(
      `dumpe2fs on the window reads ${header.uuid}: ${header.blockCount} blocks of ${header.blockSize} bytes, ` +
        `magic 0x${header.magic.toString(16)}; at the discard offset: ${uuid}: ${sb.blocksCount} blocks of ${sb.blockSize} bytes`,
    );
  }
  if (bitmaps.status === "rejected") throw bitmaps.reason;
  const fromBitmaps = bitmaps.value;
  const end = start + Math.min(length, sb.blocksCount * sb.blockSize);
  const reader1 = clip(toBytes(text.free.runs, start, sb.blockSize), start, end);
  const reader2 = clip(toBytes(fromBitmaps, start, sb.blockSize), start, end);
  return { kind: "ext", blockSize: sb.blockSize, ranges: agreedFree(`ext filesystem at ${start}`, reader1, reader2) };
}
