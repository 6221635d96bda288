import { chown, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReadAt } from "../estimate/partition-table.js";
import { sandboxPlan } from "../estimate/sandbox-plan.js";
import { xfsLogBlock, type XfsSuperblock } from "./xfs-superblock.js";

/** A log record header starts with this magic, at the start of a 512-byte log block. */
const XLOG_HEADER_MAGIC = 0xfeedbabe;
const CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

/** A private sparse copy of an XFS filesystem's first block and internal log, for xfs_logprint. */
export interface XfsLogCopy {
  path: string;
  /** Whether any log block of the copy starts a log record: a log without one is zeroed or misplaced. */
  hasRecords: boolean;
  remove(): Promise<void>;
}

const startsRecord = (chunk: Buffer): boolean => {
  for (let at = 0; at + 4 <= chunk.length; at += 512) if (chunk.readUInt32BE(at) === XLOG_HEADER_MAGIC) return true;
  return false;
};

/**
 * Copies the superblock's block and the internal log, read at absolute disk offsets, into a
 * sparse file of the filesystem's size owned by the parser's identity. Why a copy: xfs_logprint
 * opens its device read-write, which the parser user may not do on the read-only window (and
 * must not be able to do on the guest disk); the copy holds nothing else of the guest.
 */
export async function copyXfsLog(read: ReadAt, fsStart: number, sb: XfsSuperblock): Promise<XfsLogCopy> {
  const plan = await sandboxPlan();
  const dir = await mkdtemp(join(tmpdir(), "direct-xfslog-"));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const path = join(dir, "log.img");
    const file = await open(path, "wx", 0o600);
    let hasRecords = false;
    try {
      await file.truncate(sb.dBlocks * sb.blockSize);
      await file.write(await read(fsStart, sb.blockSize), 0, sb.blockSize, 0);
      const logStart = xfsLogBlock(sb) * sb.blockSize;
      const logEnd = logStart + sb.logBlocks * sb.blockSize;
      for (let at = logStart; at < logEnd; at += CHUNK) {
        const chunk = await read(fsStart + at, Math.min(CHUNK, logEnd - at));
        if (chunk.length === 0) break;
        if (chunk.equals(ZEROS.subarray(0, chunk.length))) continue; // a hole stays a hole
        await file.write(chunk, 0, chunk.length, at);
        hasRecords ||= startsRecord(chunk);
      }
    } finally {
      await file.close();
    }
    if (plan.isRoot) {
      await chown(dir, plan.uid!, plan.gid!);
      await chown(path, plan.uid!, plan.gid!);
    }
    return { path, hasRecords, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
