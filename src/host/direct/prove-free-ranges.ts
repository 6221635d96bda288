import type { PartitionView, ProvenFreeSpace } from "./direct-contract.js";
import { proveExtFree } from "./ext-proof.js";
import { proveSwapFree } from "./swap-proof.js";
import { proveXfsFree } from "./xfs-proof.js";

/**
 * The free space of one planned partition, proven before any discard: the filesystem is clean
 * and of a tested kind, its superblock read at the discards' absolute offsets matches what the
 * tools read through the partition's window, and two independent readers agree on what is free
 * (ext: dumpe2fs and the block bitmaps; XFS: xfs_db's by-size btrees and a walk of the by-block
 * btrees; swap: every page after the header). The ranges are their intersection: absolute guest
 * disk byte ranges, whole blocks, inside the partition and the filesystem, normalized.
 *
 * `view.path` is read by the sandboxed parsers, as the parser user when the worker is root: it
 * must be readable by that user (as the estimator's views are, see openRawView's `parser`).
 * @throws {DirectRefusal} with the reason the job runs virt-sparsify instead.
 */
export async function proveFreeRanges(view: PartitionView, signal?: AbortSignal): Promise<ProvenFreeSpace> {
  signal?.throwIfAborted();
  if (view.kind === "ext") return proveExtFree(view, signal);
  if (view.kind === "xfs") return proveXfsFree(view, signal);
  return proveSwapFree(view);
}
