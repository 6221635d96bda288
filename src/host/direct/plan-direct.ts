import { DirectFallbackReason } from "../../domain/direct-method.js";
import type { FsSignature } from "../estimate/fs-detect.js";
import type { Partition, DiskLayout } from "../estimate/partition-table.js";
import { DirectRefusal, type DirectFsKind, type DirectPlan, type SkippedPartition } from "./direct-contract.js";

/** The parts of `[0, diskSize)` no partition covers (the table itself, alignment gaps, EBRs). Pure. */
export function partitionTableGaps(partitions: readonly Partition[], diskSize: number): SkippedPartition[] {
  const sorted = [...partitions].sort((a, b) => a.start - b.start);
  const gaps: SkippedPartition[] = [];
  let covered = 0;
  for (const p of sorted) {
    if (p.start > covered) gaps.push({ number: null, start: covered, length: p.start - covered, found: "gap" });
    covered = Math.max(covered, p.start + p.length);
  }
  if (diskSize > covered) gaps.push({ number: null, start: covered, length: diskSize - covered, found: "gap" });
  return gaps;
}

const overlaps = (a: Partition, b: Partition) => a.start < b.start + b.length && b.start < a.start + a.length;

/** What DIRECT does with a signature: discard in it, refuse the whole disk, or leave it alone. */
function directKind(signature: FsSignature): DirectFsKind | null {
  if (signature.kind === "swap" && !signature.estimable) {
    // A hibernation image (or a v0 swap) holds a suspended guest whose memory may reference
    // blocks its filesystems do not yet mark as used: nothing on this disk is provably free.
    throw new DirectRefusal(
      DirectFallbackReason.SWAP_NOT_PLAIN,
      `a swap partition holds ${signature.type ?? "an unknown"} signature, not SWAPSPACE2`,
    );
  }
  if (!signature.estimable) return null;
  return signature.kind === "ext" || signature.kind === "xfs" || signature.kind === "swap" ? signature.kind : null;
}

/**
 * Decides where DIRECT may discard: each partition (or the whole disk, for `table: "none"`) with
 * an ext2/3/4, XFS or SWAPSPACE2 signature; everything else, every partition that overlaps
 * another (a hostile table) and every gap of the table is listed as skipped. `signatures` are
 * the regions' signatures in order: `layout.partitions`, or the whole disk when there is no table.
 * Pure. Whether each filesystem is clean and where its free space lies is proved later.
 * @throws {DirectRefusal} NO_DIRECT_FILESYSTEM when nothing is discardable; SWAP_NOT_PLAIN.
 */
export function planDirect(layout: DiskLayout, signatures: readonly FsSignature[], diskSize: number): DirectPlan {
  const whole = layout.table === "none";
  const regions: Partition[] = whole ? [{ number: 0, start: 0, length: diskSize }] : layout.partitions;
  if (signatures.length !== regions.length)
    throw new Error(`planDirect: ${signatures.length} signatures for ${regions.length} regions`);
  const plan: DirectPlan = { discard: [], skipped: whole ? [] : partitionTableGaps(regions, diskSize) };
  regions.forEach((partition, i) => {
    const signature = signatures[i]!;
    const kind = directKind(signature);
    const other = regions.find((q, j) => j !== i && overlaps(partition, q));
    const found = signature.type ?? "unknown";
    const number = whole ? null : partition.number;
    const skip = (what: string) => plan.skipped.push({ number, start: partition.start, length: partition.length, found: what });
    if (other) skip(`${found} (overlaps partition ${other.number})`);
    else if (kind) plan.discard.push({ partition, kind });
    else skip(found);
  });
  plan.skipped.sort((a, b) => a.start - b.start);
  if (plan.discard.length === 0) {
    const found = plan.skipped.filter((s) => s.found !== "gap").map((s) => s.found);
    throw new DirectRefusal(
      DirectFallbackReason.NO_DIRECT_FILESYSTEM,
      `no ext2/3/4, XFS or swap to discard in (found: ${found.join(", ") || "nothing"})`,
    );
  }
  return plan;
}
