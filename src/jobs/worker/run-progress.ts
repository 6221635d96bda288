import type { Logger } from "pino";
import { initialProgress, type SparsifyProgress } from "../../host/sparsify-progress.js";
import type { JobStore } from "../../services/job-store.js";

/**
 * A sparsify run's progress, written to its job row in order; a cancel request seen in the row
 * aborts the run. A retry starts over, so its progress does too (the attempt number says why it went back).
 */
export class RunProgress {
  current: SparsifyProgress = initialProgress;
  private writes = Promise.resolve();

  constructor(
    private readonly store: JobStore,
    private readonly jobId: string,
    private readonly attempt: number,
    private readonly abort: AbortController,
    private readonly log: Logger,
  ) {}

  /** Makes `next` the current progress and queues its write after the earlier ones. */
  publish(next: SparsifyProgress): void {
    this.current = next;
    this.writes = this.writes
      .then(async () => {
        const saved = await this.store.patchActive(this.jobId, { phase: next.phase, progress: next.progress }, this.attempt);
        if (saved?.cancelRequestedAt) this.abort.abort();
      })
      // Progress only: a write lost to an unreachable database (a partition) must not take the
      // worker down as an unhandled rejection; the next one, or the ending, says where it is.
      .catch((error: Error) => this.log.warn({ err: error.message }, "progress not saved"));
  }

  /** Resolves when every write queued so far is done. */
  flushed(): Promise<void> {
    return this.writes;
  }
}
