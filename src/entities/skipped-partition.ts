/**
 * A partition (or a gap of the partition table) a DIRECT run left untouched, as stored on the job
 * and shown by the API. The same shape as the host's SkippedPartition, kept here so entities and
 * the schema do not depend on host code.
 */
export interface SkippedPartitionRecord {
  /** Partition number as Linux numbers it; null for the whole disk or a gap. */
  number: number | null;
  start: number;
  length: number;
  /** What was found there, e.g. "vfat", "BIOS boot", "unknown", "gap". */
  found: string;
}
