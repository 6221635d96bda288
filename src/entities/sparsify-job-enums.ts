/** Coarse phases of one sparsify job, in the order they happen. */
export enum SparsifyPhase {
  QUEUED = "QUEUED",
  CHECKING = "CHECKING",
  LAUNCHING = "LAUNCHING",
  TRIMMING = "TRIMMING",
  MEASURING = "MEASURING",
  DONE = "DONE",
}

/** Who asked for a sparsify job. */
export enum JobTrigger {
  USER = "USER",
  SCHEDULE = "SCHEDULE",
}
