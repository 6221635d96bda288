import { findExecutable } from "../find-executable.js";
import { EstimateUnavailableError } from "./estimate-unavailable-error.js";
import { extFreeByteRanges, parseExtFreeBlocks } from "./ext-free-ranges.js";
import { detectFilesystem, PROBE_BYTES, type FsSignature } from "./fs-detect.js";
import type { ExportWindow } from "./fuse-export-args.js";
import type { ByteRange } from "./interval-math.js";
import { readDiskLayout } from "./partition-table.js";
import type { RawView } from "./raw-view.js";
import { runUntrusted, UntrustedRunError } from "./run-untrusted.js";
import { swapFreeRange } from "./swap-free-range.js";
import { parseXfsFreeExtents, XFS_DB_COMMANDS, xfsFreeByteRanges } from "./xfs-free-ranges.js";

/** A partition (or the whole disk) with what it holds and what virt-sparsify would discard in it. */
export interface ScannedPart {
  start: number;
  length: number;
  signature: FsSignature;
  /** Guest byte ranges, one per discard request; empty when nothing there would be discarded. */
  free: ByteRange[];
  /** Why a filesystem that should have been estimable could not be read (its parser failed). */
  problem?: string;
}

/** e2fsprogs' io-manager syntax for a filesystem at a byte offset of a file. */
const device = (path: string, offset: number) => (offset ? `${path}?offset=${offset}` : path);

/** How the scan reaches the disk: the whole view, and a window for tools that take no offset. */
export interface ScanOptions {
  signal: AbortSignal;
  /** A view of just one partition (xfs_db has no offset option). Closed by the scan. */
  openWindow: (window: ExportWindow) => Promise<RawView>;
}

/** Runs a parser under the sandbox and turns malformed output into UNREADABLE. */
async function parseWith<T>(command: string[], parse: (text: string) => T, what: string, signal: AbortSignal): Promise<T> {
  const text = await runUntrusted(command, { signal });
  try {
    return parse(text);
  } catch (error) {
    throw new EstimateUnavailableError("UNREADABLE", `${what}: ${(error as Error).message}`);
  }
}

const extFree = (view: RawView, start: number, length: number, signal: AbortSignal) =>
  parseWith(
    ["dumpe2fs", device(view.path, start)],
    (t) => extFreeByteRanges(parseExtFreeBlocks(t), start, start + length),
    `ext filesystem at ${start}`,
    signal,
  );

async function xfsFree(view: RawView, start: number, length: number, opts: ScanOptions): Promise<ByteRange[]> {
  // -r: read-only; -f: the "device" is a regular file. The whole disk needs no window.
  const whole = start === 0 && length === view.size;
  const target = whole ? view : await opts.openWindow({ offset: start, size: length });
  try {
    const command = ["xfs_db", "-r", "-f", ...XFS_DB_COMMANDS, target.path];
    return await parseWith(
      command,
      (t) => xfsFreeByteRanges(parseXfsFreeExtents(t), start, start + length),
      `xfs filesystem at ${start}`,
      opts.signal,
    );
  } finally {
    if (!whole) await target.close();
  }
}

/** xfs_db (xfsprogs) is optional on a host: without it XFS is recognised but not estimated. */
const canRead = (signature: FsSignature): FsSignature =>
  signature.kind === "xfs" && signature.estimable && !findExecutable("xfs_db") ? { ...signature, estimable: false } : signature;

/**
 * Reads the partition table and every partition's signature through the view, then the free
 * ranges of each part virt-sparsify would work on: ext free blocks from dumpe2fs and XFS free
 * extents from xfs_db (both sandboxed), swap after its header. One parser at a time: the machine
 * has 2 cores and the daemon needs one.
 */
export async function scanDisk(view: RawView, opts: ScanOptions): Promise<ScannedPart[]> {
  const layout = await readDiskLayout(view.read, view.size);
  const regions = layout.table === "none" ? [{ start: 0, length: view.size }] : layout.partitions;
  const parts: ScannedPart[] = [];
  for (const { start, length } of regions) {
    opts.signal.throwIfAborted();
    const signature = canRead(detectFilesystem(await view.read(start, Math.min(PROBE_BYTES, length))));
    try {
      let free: ByteRange[] = [];
      if (signature.estimable) {
        if (signature.kind === "ext") free = await extFree(view, start, length, opts.signal);
        if (signature.kind === "xfs") free = await xfsFree(view, start, length, opts);
        if (signature.kind === "swap") free = swapFreeRange(start, length);
      }
      parts.push({ start, length, signature, free });
    } catch (error) {
      // A damaged filesystem fails to mount in the appliance too: virt-sparsify skips it and
      // trims the others, so this part counts 0 and the rest is still estimated.
      const unreadable =
        (error instanceof UntrustedRunError && error.failure !== "TIMED_OUT") ||
        (error instanceof EstimateUnavailableError && error.reason === "UNREADABLE");
      if (!unreadable || opts.signal.aborted) throw error;
      parts.push({
        start,
        length,
        signature: { ...signature, estimable: false, type: `${signature.type} (unreadable)` },
        free: [],
        problem: (error as Error).message,
      });
    }
  }
  return parts;
}
