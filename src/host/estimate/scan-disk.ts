import { EstimateUnavailableError } from "./estimate-unavailable-error.js";
import { extFreeByteRanges, parseExtFreeBlocks } from "./ext-free-ranges.js";
import { detectFilesystem, PROBE_BYTES, type FsSignature } from "./fs-detect.js";
import type { ByteRange } from "./interval-math.js";
import { readDiskLayout } from "./partition-table.js";
import type { RawView } from "./raw-view.js";
import { runUntrusted } from "./run-untrusted.js";
import { swapFreeRange } from "./swap-free-range.js";

/** A partition (or the whole disk) with what it holds and what virt-sparsify would discard in it. */
export interface ScannedPart {
  start: number;
  length: number;
  signature: FsSignature;
  /** Guest byte ranges, one per discard request; empty when nothing there would be discarded. */
  free: ByteRange[];
}

/** e2fsprogs' io-manager syntax for a filesystem at a byte offset of a file. */
const device = (path: string, offset: number) => (offset ? `${path}?offset=${offset}` : path);

async function extFree(view: RawView, start: number, length: number, signal: AbortSignal): Promise<ByteRange[]> {
  const text = await runUntrusted(["dumpe2fs", device(view.path, start)], { signal });
  try {
    return extFreeByteRanges(parseExtFreeBlocks(text), start, start + length);
  } catch (error) {
    throw new EstimateUnavailableError("UNREADABLE", `ext filesystem at ${start}: ${(error as Error).message}`);
  }
}

/**
 * Reads the partition table and every partition's signature through the view, then the free
 * ranges of each part virt-sparsify would work on: ext free blocks from dumpe2fs (sandboxed),
 * swap after its header. One dumpe2fs at a time: the machine has 2 cores and the daemon needs one.
 */
export async function scanDisk(view: RawView, signal: AbortSignal): Promise<ScannedPart[]> {
  const layout = await readDiskLayout(view.read, view.size);
  const regions = layout.table === "none" ? [{ start: 0, length: view.size }] : layout.partitions;
  const parts: ScannedPart[] = [];
  for (const { start, length } of regions) {
    signal.throwIfAborted();
    const signature = detectFilesystem(await view.read(start, Math.min(PROBE_BYTES, length)));
    let free: ByteRange[] = [];
    if (signature.estimable && signature.kind === "ext") free = await extFree(view, start, length, signal);
    if (signature.estimable && signature.kind === "swap") free = swapFreeRange(start, length);
    parts.push({ start, length, signature, free });
  }
  return parts;
}
