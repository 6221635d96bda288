import type { DirectFallbackReason } from "../../domain/direct-method.js";
import type { ByteRange } from "../estimate/interval-math.js";
import type { Partition, ReadAt } from "../estimate/partition-table.js";

/** A filesystem DIRECT discards in. */
export type DirectFsKind = "ext" | "xfs" | "swap";

/** A partition (or a gap of the partition table) DIRECT leaves untouched, and why. */
export interface SkippedPartition {
  /** Partition number as Linux numbers it; null for the whole disk or a gap. */
  number: number | null;
  start: number;
  length: number;
  /** What was found there, e.g. "vfat", "BIOS boot", "unknown", "gap". */
  found: string;
}

/** What to discard in: each partition that holds a filesystem DIRECT understands. */
export interface DirectPlan {
  discard: Array<{ partition: Partition; kind: DirectFsKind }>;
  skipped: SkippedPartition[];
}

/** One partition shown to the free-space readers. */
export interface PartitionView {
  partition: Partition;
  kind: DirectFsKind;
  /**
   * A file that holds exactly the partition's bytes (a FUSE window), for tools without offsets.
   * The sandboxed parsers (dumpe2fs, xfs_db) open it as the parser user when the worker is root:
   * it must be readable by that user (openRawView's `parser` option does this for the estimator).
   */
  path: string;
  /** Reads the whole guest disk at absolute offsets, the same arithmetic the discards use. */
  readDisk: ReadAt;
}

/** Free space proven by two independent readers: absolute guest-disk byte ranges, normalized. */
export interface ProvenFreeSpace {
  kind: DirectFsKind;
  blockSize: number;
  ranges: ByteRange[];
}

/** A doubt found before any discard: the job runs virt-sparsify instead and records why. */
export class DirectRefusal extends Error {
  constructor(
    readonly reason: DirectFallbackReason,
    detail: string,
  ) {
    super(detail);
    this.name = "DirectRefusal";
  }
}
