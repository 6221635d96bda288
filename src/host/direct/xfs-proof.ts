import { DirectFallbackReason } from "../../domain/direct-method.js";
import { clip, intersect, normalize, type ByteRange } from "../estimate/interval-math.js";
import { parseXfsFreeExtents } from "../estimate/xfs-free-ranges.js";
import { DirectRefusal, type PartitionView, type ProvenFreeSpace } from "./direct-contract.js";
import { agreedFree } from "./readers-agree.js";
import { formatUuid } from "./uuid-text.js";
import { parseUntrusted } from "./untrusted-text.js";
import { readXfsFreeFromBtrees, type XfsExtent } from "./xfs-btree-reader.js";
import { copyXfsLog } from "./xfs-log-copy.js";
import { parseXfsLogState } from "./xfs-log-state.js";
import { checkXfsSuperblock, parseXfsSuperblock, XFS_SUPERBLOCK_BYTES, type XfsSuperblock } from "./xfs-superblock.js";

/** Reader 1: xfs_db's listing of the by-size (cnt) btrees plus the free lists, and the superblock it read. */
const XFS_DB_READER = ["-c", "sb 0", "-c", "p magicnum uuid blocksize agblocks agcount dblocks", "-c", "freesp -d -c"];

function parseXfsDb(text: string) {
  const magic = Number(/^magicnum = (0x[0-9a-f]+)\s*$/m.exec(text)?.[1]);
  if (!Number.isSafeInteger(magic)) throw new Error('no valid "magicnum"');
  const uuid = /^uuid = ([0-9a-f-]{36})\s*$/m.exec(text)?.[1];
  if (!uuid) throw new Error('no valid "uuid"');
  return { magic, uuid, ...parseXfsFreeExtents(text) };
}

const toBytes = (extents: readonly XfsExtent[], fsStart: number, sb: XfsSuperblock): ByteRange[] =>
  extents.map(([agno, agbno, length]) => {
    const block = agno * sb.agBlocks + agbno;
    return { start: fsStart + block * sb.blockSize, end: fsStart + (block + length) * sb.blockSize };
  });

/**
 * Proves the free blocks of a clean XFS v5 filesystem: its superblock read at the partition's
 * absolute offset (allowed features, geometry), a clean log (`xfs_logprint -t` on a private copy
 * of it: head = tail after an unmount record), xfs_db on the partition's window (reader 1, sandboxed: the by-size btrees)
 * reporting the same superblock, and a walk of the by-block btrees (reader 2). Only what both
 * call free, without the AG free lists, cut to the filesystem and the partition.
 * @throws {DirectRefusal}
 */
export async function proveXfsFree(view: PartitionView, signal?: AbortSignal): Promise<ProvenFreeSpace> {
  const { start, length } = view.partition;
  const bytes = await view.readDisk(start, XFS_SUPERBLOCK_BYTES);
  if (bytes.length !== XFS_SUPERBLOCK_BYTES) {
    throw new DirectRefusal(DirectFallbackReason.SUPERBLOCK_MISMATCH, `XFS superblock: short read at ${start}`);
  }
  const sb = parseXfsSuperblock(bytes);
  checkXfsSuperblock(sb, length);
  const opts = signal ? { signal } : {};
  const copy = await copyXfsLog(view.readDisk, start, sb);
  const logOpts = { ...opts, unreadable: DirectFallbackReason.XFS_LOG_DIRTY };
  const log = await parseUntrusted(["xfs_logprint", "-t", copy.path], parseXfsLogState, logOpts).finally(copy.remove);
  // A log without a single record header is zeroed or not where the superblock says: never "clean".
  if (!copy.hasRecords) {
    throw new DirectRefusal(DirectFallbackReason.XFS_LOG_DIRTY, "XFS log holds no log record where the superblock puts it");
  }
  if (!log.clean) {
    throw new DirectRefusal(
      DirectFallbackReason.XFS_LOG_DIRTY,
      `XFS log is dirty (tail ${log.tail}, head ${log.head}): it needs a replay`,
    );
  }
  const db = await parseUntrusted(["xfs_db", "-r", "-f", ...XFS_DB_READER, view.path], parseXfsDb, opts);
  const uuid = formatUuid(sb.uuid, "00000000-0000-0000-0000-000000000000");
  const same = db.uuid === uuid && db.magic === sb.magic && db.blockSize === sb.blockSize;
  if (!same || db.dBlocks !== sb.dBlocks || db.agBlocks !== sb.agBlocks || db.agCount !== sb.agCount) {
    throw new DirectRefusal(
      DirectFallbackReason.SUPERBLOCK_MISMATCH,
      `XFS superblock: xfs_db on the window reads ${db.uuid}: ${db.dBlocks} blocks of ${db.blockSize} bytes ` +
        `in ${db.agCount} AGs of ${db.agBlocks}; ` +
        `at the discard offset: ${uuid}: ${sb.dBlocks} of ${sb.blockSize} in ${sb.agCount} of ${sb.agBlocks}`,
    );
  }
  const walked = await readXfsFreeFromBtrees(view.readDisk, start, sb);
  const end = start + Math.min(length, sb.dBlocks * sb.blockSize);
  const reader1 = clip(toBytes(db.extents, start, sb), start, end);
  const reader2 = clip(toBytes([...walked.extents, ...walked.freeList], start, sb), start, end);
  const agreed = agreedFree(`XFS filesystem at ${start}`, reader1, reader2);
  // The free lists feed btree splits: free, but not free space the allocator hands out. Not discarded.
  const btreeFree = normalize(clip(toBytes(walked.extents, start, sb), start, end));
  return { kind: "xfs", blockSize: sb.blockSize, ranges: intersect(agreed, btreeFree) };
}
