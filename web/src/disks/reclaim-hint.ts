const MiB = 1024 * 1024;

/**
 * "nothing to reclaim" when the estimate says under 1 MiB would come back: a run would take its
 * ~15 s to end NOTHING_TO_RECLAIM, so say so before anyone starts it. Null without an estimate.
 * (No imports: unit tests load it outside the web build.)
 */
export const reclaimHint = (disk: { reclaimableEstimate?: number | null }): string | null =>
  typeof disk.reclaimableEstimate === "number" && disk.reclaimableEstimate < MiB ? "nothing to reclaim" : null;
