/** Coarse phases of one sparsify job, in the order they happen. */
export enum SparsifyPhase {
  QUEUED = "QUEUED",
  CHECKING = "CHECKING",
  LAUNCHING = "LAUNCHING",
  TRIMMING = "TRIMMING",
  /** DIRECT: reading the filesystems' free space under the image's write lock. */
  READING = "READING",
  /** DIRECT: discarding the proven free ranges. */
  DISCARDING = "DISCARDING",
  /** DIRECT: checking, read-only, that the filesystems are intact. */
  VERIFYING = "VERIFYING",
  MEASURING = "MEASURING",
  DONE = "DONE",
}

/** Who asked for a sparsify job. */
export enum JobTrigger {
  USER = "USER",
  SCHEDULE = "SCHEDULE",
}
