// Stored in sparsify_job.skippedPartitions, so it lives with the entities; re-exported for the layers above.
export type { SkippedPartitionRecord } from "../entities/skipped-partition.js";
