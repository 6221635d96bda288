/** How a finished sparsify job ended, stored in sparsify_job.outcome (see domain/sparsify-outcome.ts for the rule). */
export enum SparsifyOutcome {
  RECLAIMED = "RECLAIMED",
  NOTHING_TO_RECLAIM = "NOTHING_TO_RECLAIM",
  NO_FILESYSTEM_FOUND = "NO_FILESYSTEM_FOUND",
  GREW = "GREW",
}
