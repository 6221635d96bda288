import type { Job } from "bullmq";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../../config.js";
import { JobErrorCode } from "../../domain/job-error-code.js";
import { JobState } from "../../entities/enums.js";
import { initialProgress } from "../../host/sparsify-progress.js";
import { JobStore, type JobEnding } from "../../services/job-store.js";
import { recordEvent } from "../../services/audit.js";
import { processEstimate } from "./estimate.processor.js";
import type { EventBus } from "../queue/event-bus.js";
import { isHandBack, type HandedBack } from "./hand-back.js";
import { isFenced } from "./run-lease.js";
import { recordFenced, recordHandBack, recordRetry } from "./run-events.js";
import { guardStorage, type StorageGuard } from "./storage-guard.js";
import type { SparsifyJobData } from "../queue/queue-names.js";
import { SparsifyMethod } from "../../domain/direct-method.js";
import type { HostSlot, HostSlots } from "./host-slots.js";
import { waitForApplianceSlot, type RunBudget } from "./run-budget.js";
import { PostJobEstimates } from "./post-job-estimates.js";
import { TargetChecks } from "./sparsify-target.js";
import { failureEnding } from "./job-failure.js";
import { claimRun } from "./run-claim.js";
import { RunProgress } from "./run-progress.js";
import { runDirectBranch } from "./direct-branch.js";
import { runAppliance } from "./appliance-run.js";
import { applianceEnding } from "./appliance-outcome.js";
import type { ImageClaims } from "./image-claims.js";

export interface SparsifyDeps {
  config: Config;
  db: DataSource;
  bus: EventBus;
  log: Logger;
  hostName: string;
  backendSettings: string | undefined;
  /** The host's appliance budget: a job started under the DIRECT budget takes a slot before virt-sparsify. */
  applianceSlots?: HostSlots;
  /** This process's readers and writers of images: a run claims its leaf from the estimator. */
  claims?: ImageClaims;
}

/** How long a run waits for an estimate of its leaf to let go (a stopped estimate ends in well under 1 s). */
const CLAIM_WAIT_MS = 10_000;

/**
 * One sparsify job on this host: re-check, run virt-sparsify on the leaf, measure, explain.
 * Every path ends the job in PostgreSQL and releases the disk.
 */
export class SparsifyProcessor {
  private readonly store: JobStore;
  private readonly checks: TargetChecks;
  /** The estimate refresh after each job, batched per domain and off the job's path. */
  readonly estimates: PostJobEstimates;

  constructor(private readonly d: SparsifyDeps) {
    this.store = new JobStore(d.db, d.bus);
    this.checks = new TargetChecks(d);
    this.estimates = new PostJobEstimates(
      (request) => processEstimate(request, this.d),
      (error, request) => this.d.log.warn({ err: error.message, diskIds: request.diskIds }, "estimate after job failed"),
    );
  }

  /**
   * `fence` aborts when this host's lease on the job lapsed (run-lease.ts): the run is stopped at
   * once and nothing more is written; another host may own the job now. Every write to the job row
   * is conditioned on this run's attempt, so a late one from a fenced run changes nothing anyway.
   */
  async process(
    job: Job<SparsifyJobData>,
    signal?: AbortSignal,
    fence?: AbortSignal,
    budget: RunBudget = "appliance",
  ): Promise<{ state: string } | HandedBack | null> {
    const { jobId } = job.data;
    const end = (id: string, attempt: number, ending: JobEnding) => this.end(id, attempt, ending);
    const started = await claimRun({ ...this.d, store: this.store, end }, jobId, initialProgress, fence);
    if (!("running" in started)) return started.early;
    const { row, running, startRecorded } = started;
    const log = this.d.log.child({ jobId, diskId: row.diskId });
    const retried = row.state === JobState.RUNNING; // a worker died with it: BullMQ handed it over
    const attempt = running.attempts;
    if (retried) await recordRetry(this.d.db, this.d.hostName, row, attempt, log);
    else if (!startRecorded)
      await recordEvent(this.d.db.manager, {
        type: "JOB_STARTED",
        actor: row.requestedBy,
        diskId: row.diskId,
        jobId,
        message: `Sparsify started on ${this.d.hostName}`,
      });

    let guard: StorageGuard | undefined;
    let applianceSlot: HostSlot | undefined;
    let releaseLeaf = () => {};
    // The claim goes before the job's ending is written: the refresh the ending queues reads the leaf.
    const endRun = (ending: JobEnding) => {
      releaseLeaf();
      return this.end(jobId, attempt, ending);
    };
    try {
      const target = await this.checks.load(row);
      // Before the pre-check: an estimate reading the leaf holds qemu's lock on it (image-claims.ts).
      if (this.d.claims) releaseLeaf = await this.d.claims.claim([target.leafPath], CLAIM_WAIT_MS);
      // The domain and the image are watched from here on: gone, replaced or hung ends the job.
      guard = await guardStorage([target.domain.path, target.leafPath], {
        intervalMs: this.d.config.STORAGE_CHECK_INTERVAL_MS,
        timeoutMs: this.d.config.STORAGE_CHECK_TIMEOUT_MS,
      });
      const storage = guard;
      const before = await storage.until(this.checks.precheck(target, retried, signal));
      // The pre-check took a while: prove once more that nothing was swapped since (while the size is saved).
      await Promise.all([this.store.patchActive(jobId, { actualSizeBefore: before }, attempt), this.checks.guard(target)]);

      // Progress is written in order; a cancel request seen in the row aborts the run.
      const abort = new AbortController();
      const hurry = new AbortController();
      signal?.addEventListener("abort", () => (isHandBack(signal) ? hurry.abort() : abort.abort()), { once: true });
      storage.signal.addEventListener("abort", () => abort.abort(), { once: true });
      // Fenced: stop at once (SIGTERM, SIGKILL 2 s later), as for a hand-back, but write nothing.
      fence?.addEventListener("abort", () => hurry.abort(), { once: true });
      if (isHandBack(signal)) return recordHandBack(this.d.db, this.d.hostName, row, log); // the stop came during the pre-checks
      await storage.until(this.checks.inspect(target)); // again, right before virt-sparsify opens the chain
      if (isFenced(fence)) return recordFenced(this.d.db, this.d.hostName, row, attempt, log); // never launch a run whose lease lapsed
      const progress = new RunProgress(this.store, jobId, attempt, abort, log);
      if (target.domain.sparsifyMethod === SparsifyMethod.DIRECT) {
        const direct = await runDirectBranch(
          { ...this.d, store: this.store, checks: this.checks },
          target,
          jobId,
          attempt,
          before,
          abort.signal,
          (phase, pct) => progress.publish({ ...progress.current, phase, progress: Math.max(progress.current.progress, pct) }),
          () => progress.flushed(),
          log,
        );
        if ("ending" in direct) return endRun(direct.ending);
      } else await this.store.patchActive(jobId, { methodUsed: SparsifyMethod.VIRT_SPARSIFY }, attempt);
      if (budget === "direct" && this.d.applianceSlots) {
        applianceSlot =
          (await waitForApplianceSlot(
            this.d.applianceSlots,
            `${this.d.hostName}:${jobId}`,
            this.d.config.SLOT_RETRY_MS,
            abort.signal,
          )) ?? undefined;
        if (!applianceSlot)
          return endRun(
            storage.lost
              ? { state: JobState.FAILED, errorCode: JobErrorCode.STORAGE_UNAVAILABLE, errorMessage: storage.lost }
              : { state: JobState.CANCELLED },
          );
      }
      // A fallback from DIRECT: its checks are older by the DIRECT attempt and the slot wait, so the
      // chain is proved and inspected once more right before virt-sparsify opens it.
      if (target.domain.sparsifyMethod === SparsifyMethod.DIRECT)
        await storage.until(this.checks.guard(target).then(() => this.checks.inspect(target)));
      const { config, backendSettings } = this.d;
      const result = await runAppliance({ config, backendSettings, target, progress, signal: abort.signal, hurry: hurry.signal });
      // A fenced run measures nothing and ends nothing: the job may be another host's by now.
      if (isFenced(fence)) return recordFenced(this.d.db, this.d.hostName, row, attempt, log);
      await progress.flushed();
      const ending = await applianceEnding({
        hostName: this.d.hostName,
        log,
        checks: this.checks,
        storage,
        progress,
        target,
        signal,
        before,
        result,
      });
      if (!ending) return recordHandBack(this.d.db, this.d.hostName, row, log);
      return endRun(ending);
    } catch (error) {
      if (isFenced(fence)) return recordFenced(this.d.db, this.d.hostName, row, attempt, log);
      if (isHandBack(signal)) return recordHandBack(this.d.db, this.d.hostName, row, log);
      const { ending, crashed } = failureEnding(error, signal?.aborted === true);
      if (crashed) log.error({ err: error }, "sparsify job crashed");
      return endRun(ending);
    } finally {
      releaseLeaf();
      guard?.stop();
      await applianceSlot?.release();
    }
  }

  /** Ends the job if `attempt` still holds it (a stale attempt's ending is rejected). */
  private async end(jobId: string, attempt: number, ending: JobEnding): Promise<{ state: string }> {
    const ended = await this.store.finish(jobId, ending, attempt);
    // What is left to reclaim changed: refresh this disk's estimate, after the job has ended.
    if (ended && ending.state !== JobState.FAILED) this.estimates.add(ended.storageDomainId, ended.diskId, ended.requestedBy);
    return { state: ended?.state ?? ending.state };
  }
}
