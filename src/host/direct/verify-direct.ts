import { createHash } from "node:crypto";
import { runUntrusted, UntrustedRunError } from "../estimate/run-untrusted.js";
import type { ByteRange } from "../estimate/interval-math.js";
import type { DirectFsKind, PartitionView, ProvenFreeSpace } from "./direct-contract.js";

/** A DIRECT run discarded, then found a filesystem not as it was: the disk must be blocked. */
export class DirectVerificationError extends Error {
  override readonly name = "DirectVerificationError";
}

/** The read-only consistency check of each kind (sandboxed like every parser of guest data). */
const FSCK: Record<Exclude<DirectFsKind, "swap">, (path: string) => string[]> = {
  // -f: check even though the superblock says clean; -n: open read-only, answer no to everything.
  ext: (path) => ["e2fsck", "-f", "-n", path],
  // xfs_db's full check, read-only (xfs_repair -n needs to raise limits the sandbox keeps hard).
  xfs: (path) => ["xfs_db", "-r", "-f", "-c", "check", path],
};

/** SHA-256 of a swap area's header page (label, UUID, version): the part DIRECT never discards. */
export async function swapHeaderHash(view: PartitionView): Promise<string> {
  return createHash("sha256")
    .update(await view.readDisk(view.partition.start, 4096))
    .digest("hex");
}

/** What a partition looked like before the discards. */
export interface PartitionBefore {
  view: PartitionView;
  proven: ProvenFreeSpace;
  /** Swap only: {@link swapHeaderHash} before. */
  swapHeader?: string;
}

const sameRanges = (a: readonly ByteRange[], b: readonly ByteRange[]) =>
  a.length === b.length && a.every((r, i) => r.start === b[i]!.start && r.end === b[i]!.end);

/**
 * Checks one discarded partition, read-only: its fsck finds nothing (ext: e2fsck -fn, XFS:
 * xfs_repair -n; swap: its header page is unchanged) and its free space, proven again by the same
 * readers, is exactly what it was (so the used map did not change either).
 * @throws {DirectVerificationError}
 */
export async function verifyPartition(
  before: PartitionBefore,
  prove: (view: PartitionView, signal: AbortSignal) => Promise<ProvenFreeSpace>,
  signal: AbortSignal,
): Promise<void> {
  const { view, proven } = before;
  const where = `partition ${view.partition.number} (${view.kind} at ${view.partition.start})`;
  // Both checks only read: the fsck and the second proof run side by side; the fsck's verdict comes first.
  const [checked, proved] = await Promise.allSettled([checkIntact(before, where, signal), prove(view, signal)]);
  if (checked.status === "rejected") throw checked.reason;
  if (proved.status === "rejected")
    throw new DirectVerificationError(`${where}: its free space could not be read again: ${(proved.reason as Error).message}`);
  const again = proved.value;
  if (again.blockSize !== proven.blockSize || !sameRanges(again.ranges, proven.ranges)) {
    throw new DirectVerificationError(
      `${where}: the free/used map changed (${proven.ranges.length} free ranges before, ${again.ranges.length} after)`,
    );
  }
}

/** The fsck of one partition (swap: its header page is unchanged). @throws {DirectVerificationError} */
async function checkIntact(before: PartitionBefore, where: string, signal: AbortSignal): Promise<void> {
  const { view } = before;
  if (view.kind === "swap") {
    if ((await swapHeaderHash(view)) !== before.swapHeader)
      throw new DirectVerificationError(`${where}: the swap header changed`);
    return;
  }
  try {
    // A clean check prints nothing (e2fsck -n prints its passes to stdout; its exit code decides).
    const said = await runUntrusted(FSCK[view.kind](view.path), { signal });
    if (view.kind === "xfs" && said.trim())
      throw new DirectVerificationError(`${where}: xfs_db check found problems: ${said.trim().slice(0, 500)}`);
  } catch (error) {
    if (error instanceof UntrustedRunError && error.failure === "FAILED")
      throw new DirectVerificationError(`${where}: ${FSCK[view.kind](view.path)[0]} found problems: ${error.message}`);
    throw error;
  }
}
