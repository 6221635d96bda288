import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Job } from "bullmq";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../../config.js";
import { JobErrorCode } from "../../domain/job-error-code.js";
import { assessSparsify } from "../../domain/sparsify-blockers.js";
import { explainOutcome } from "../../domain/sparsify-outcome.js";
import { isInside } from "../../domain/storage-path.js";
import { AllocationSource, DiskFormat, DiskStatus, JobState } from "../../entities/enums.js";
import { Disk, SparsifyJob, StorageDomain, Volume } from "../../entities/index.js";
import type { ImageFormat } from "../../host/image-format.js";
import { qemuImgInfo } from "../../host/qemu-img.js";
import { ImageRefusal } from "../../host/inspect/image-refusal.js";
import { inspectChain } from "../../host/inspect/inspect-chain.js";
import { loadRecordedChain, type RecordedChain } from "../../services/recorded-chain.js";
import { recordRefusal } from "../../services/refusal-recorder.js";
import { diagnoseRun } from "../../host/sparsify-failure-probe.js";
import { precheckImage } from "../../host/sparsify-precheck.js";
import {
  finish as finishProgress,
  initialProgress,
  RAMP_TICK_MS,
  rampLaunch,
  reduceProgress,
  startMeasuring,
  type SparsifyProgress,
} from "../../host/sparsify-progress.js";
import { eventKey } from "../../host/virt-sparsify-output.js";
import { runVirtSparsify } from "../../host/virt-sparsify-runner.js";
import { PathGuardError } from "../../host/path-guard.js";
import { loadDiskFacts } from "../../services/disk-assessment.service.js";
import { JobStore, type JobEnding } from "../../services/job-store.js";
import { recordEvent } from "../../services/audit.js";
import { processEstimate } from "./estimate.processor.js";
import type { EventBus } from "../queue/event-bus.js";
import { isHandBack, type HandedBack } from "./hand-back.js";
import { isFenced } from "./run-lease.js";
import { recordFenced, recordHandBack, recordRetry } from "./run-events.js";
import { guardStorage, StorageUnavailableError, type StorageGuard } from "./storage-guard.js";
import { guardDiskChain } from "./guarded-chain.js";
import type { SparsifyJobData } from "../queue/queue-names.js";
import { SparsifyMethod } from "../../domain/direct-method.js";
import { directProver } from "../../host/direct/direct-prover.js";
import { runDirectJob, type DirectJobInput, type DirectJobResult } from "./direct-job.js";
import type { HostSlot, HostSlots } from "./host-slots.js";
import { waitForApplianceSlot, type RunBudget } from "./run-budget.js";
import { PostJobEstimates } from "./post-job-estimates.js";

export interface SparsifyDeps {
  config: Config;
  db: DataSource;
  bus: EventBus;
  log: Logger;
  hostName: string;
  backendSettings: string | undefined;
  /** The host's appliance budget: a job started under the DIRECT budget takes a slot before virt-sparsify. */
  applianceSlots?: HostSlots;
}

interface Target {
  disk: Disk;
  leaf: Volume;
  own: Volume[];
  domain: StorageDomain;
  /** Real path of the leaf, proved by the path guard: the only path handed to a tool. */
  leafPath: string;
  /** Real paths of the own volumes, leaf first. */
  ownPaths: string[];
  format: ImageFormat;
  /** Every layer qemu will open, from the inventory (own volumes, then the template's). */
  chain: RecordedChain;
}

const toImageFormat = (f: DiskFormat): ImageFormat => (f === DiskFormat.QCOW2 ? "qcow2" : "raw");

class JobFailure extends Error {
  constructor(
    readonly code: JobErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One sparsify job on this host: re-check, run virt-sparsify on the leaf, measure, explain.
 * Every path ends the job in PostgreSQL and releases the disk.
 */
export class SparsifyProcessor {
  private readonly store: JobStore;
  /** The estimate refresh after each job, batched per domain and off the job's path. */
  readonly estimates: PostJobEstimates;

  constructor(private readonly d: SparsifyDeps) {
    this.store = new JobStore(d.db, d.bus);
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
    const row = await this.store.get(jobId);
    if (!row || (row.state !== JobState.QUEUED && row.state !== JobState.RUNNING)) return null; // ended meanwhile
    const log = this.d.log.child({ jobId, diskId: row.diskId });
    if (isFenced(fence)) return recordFenced(this.d.db, this.d.hostName, row, row.attempts + 1, log);
    if (row.cancelRequestedAt) return this.end(jobId, row.attempts, { state: JobState.CANCELLED, actor: row.requestedBy });

    const retried = row.state === JobState.RUNNING; // a worker died with it: BullMQ handed it over
    const attempt = row.attempts + 1;
    // A retry starts over, so its progress does too (the attempt number says why it went back).
    let progress: SparsifyProgress = initialProgress;
    // Compare-and-set from the attempt read above: of two hosts holding the job, one claims it.
    const running = await this.store.claimAttempt(jobId, row.attempts, {
      state: JobState.RUNNING,
      phase: progress.phase,
      progress: retried ? progress.progress : Math.max(row.progress, progress.progress),
      host: this.d.hostName,
      startedAt: row.startedAt ?? new Date(),
    });
    if (!running) return null;
    if (retried) await recordRetry(this.d.db, this.d.hostName, row, attempt, log);
    else
      await recordEvent(this.d.db.manager, {
        type: "JOB_STARTED",
        actor: row.requestedBy,
        diskId: row.diskId,
        jobId,
        message: `Sparsify started on ${this.d.hostName}`,
      });
    await job.updateProgress(running.progress).catch(() => {});

    let guard: StorageGuard | undefined;
    let applianceSlot: HostSlot | undefined;
    try {
      const target = await this.loadTarget(row);
      // The domain and the image are watched from here on: gone, replaced or hung ends the job.
      guard = await guardStorage([target.domain.path, target.leafPath], {
        intervalMs: this.d.config.STORAGE_CHECK_INTERVAL_MS,
        timeoutMs: this.d.config.STORAGE_CHECK_TIMEOUT_MS,
      });
      const storage = guard;
      const before = await storage.until(this.precheck(target, retried, signal));
      // The pre-check took a while: prove once more that nothing was swapped since (while the size is saved).
      await Promise.all([this.store.patchActive(jobId, { actualSizeBefore: before }, attempt), this.guard(target)]);

      // Progress is written in order; a cancel request seen in the row aborts the run.
      const abort = new AbortController();
      const hurry = new AbortController();
      signal?.addEventListener("abort", () => (isHandBack(signal) ? hurry.abort() : abort.abort()), { once: true });
      storage.signal.addEventListener("abort", () => abort.abort(), { once: true });
      // Fenced: stop at once (SIGTERM, SIGKILL 2 s later), as for a hand-back, but write nothing.
      fence?.addEventListener("abort", () => hurry.abort(), { once: true });
      if (isHandBack(signal)) return recordHandBack(this.d.db, this.d.hostName, row, log); // the stop came during the pre-checks
      await storage.until(this.inspect(target)); // again, right before virt-sparsify opens the chain
      if (isFenced(fence)) return recordFenced(this.d.db, this.d.hostName, row, attempt, log); // never launch a run whose lease lapsed
      let writes = Promise.resolve();
      const seen = new Set<string>();
      const publish = (next: SparsifyProgress) => {
        writes = writes
          .then(async () => {
            const saved = await this.store.patchActive(jobId, { phase: next.phase, progress: next.progress }, attempt);
            if (saved?.cancelRequestedAt) abort.abort();
            await job.updateProgress(next.progress).catch(() => {});
          })
          // Progress only: a write lost to an unreachable database (a partition) must not take the
          // worker down as an unhandled rejection; the next one, or the ending, says where it is.
          .catch((error: Error) => log.warn({ err: error.message }, "progress not saved"));
      };
      if (target.domain.sparsifyMethod === SparsifyMethod.DIRECT) {
        const direct = await this.runDirect(
          target,
          jobId,
          attempt,
          before,
          abort.signal,
          (phase, pct) => publish((progress = { ...progress, phase, progress: Math.max(progress.progress, pct) })),
          () => writes,
          log,
        );
        if ("ending" in direct) return this.end(jobId, attempt, direct.ending);
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
          return this.end(
            jobId,
            attempt,
            storage.lost
              ? { state: JobState.FAILED, errorCode: JobErrorCode.STORAGE_UNAVAILABLE, errorMessage: storage.lost }
              : { state: JobState.CANCELLED },
          );
      }
      // The appliance boot says nothing for ~6 s: an estimated ramp keeps the bar moving.
      const launched = Date.now();
      const ramp = setInterval(() => {
        const next = rampLaunch(progress, Date.now() - launched);
        if (next !== progress) publish((progress = next));
      }, RAMP_TICK_MS);
      const result = await runVirtSparsify({
        path: target.leafPath,
        format: target.format,
        signal: abort.signal,
        hurry: hurry.signal,
        timeoutMs: this.d.config.SPARSIFY_TIMEOUT_MS,
        killGraceMs: this.d.config.SPARSIFY_KILL_GRACE_MS,
        backendSettings: this.d.backendSettings,
        cacheDir: this.d.config.LIBGUESTFS_CACHEDIR,
        onEvent: (event) => {
          // Each message arrives twice (JSON and text copies): count it once.
          const key = eventKey(event);
          if (seen.has(key)) return;
          seen.add(key);
          const next = reduceProgress(progress, event);
          if (next !== progress) publish((progress = next));
        },
      }).finally(() => clearInterval(ramp));
      // A fenced run measures nothing and ends nothing: the job may be another host's by now.
      if (isFenced(fence)) return recordFenced(this.d.db, this.d.hostName, row, attempt, log);
      await writes;
      // Processes that outlived SIGKILL (stuck on storage) keep the disk blocked until they are gone.
      const survivors = result.survivors.length
        ? { survivors: { host: this.d.hostName, processes: result.survivors.map(({ pid, startTime }) => ({ pid, startTime })) } }
        : {};
      if (result.survivors.length)
        log.warn({ pids: result.survivors.map((p) => p.pid) }, "processes of the run outlived SIGKILL");
      if (storage.lost) {
        // Nothing is measured or probed: the image is unreachable, and a probe could hang too.
        return this.end(jobId, attempt, {
          state: JobState.FAILED,
          errorCode: JobErrorCode.STORAGE_UNAVAILABLE,
          errorMessage: `The storage became unavailable during the run and the run was stopped: ${storage.lost}`,
          ...survivors,
        });
      }
      publish((progress = startMeasuring(progress)));
      const after = await storage.until(this.measure(target));
      await writes;
      log.info(
        { exitCode: result.exitCode, trimmed: result.trimmedDevices, before, after, ms: result.durationMs },
        "virt-sparsify finished",
      );

      if (isHandBack(signal)) return recordHandBack(this.d.db, this.d.hostName, row, log);
      if (result.cancelled)
        return this.end(jobId, attempt, {
          state: JobState.CANCELLED,
          actualSizeAfter: after,
          outcomeMessage: "Cancelled; the image was left consistent",
          ...survivors,
        });
      const failure = await storage.until(diagnoseRun(result, { path: target.leafPath, format: target.format }));
      if (failure)
        return this.end(jobId, attempt, {
          state: JobState.FAILED,
          actualSizeAfter: after,
          errorCode: failure.code,
          errorMessage: failure.message,
          ...survivors,
        });
      const explained = explainOutcome({
        trimmedDevices: result.trimmedDevices,
        swapCleared: result.swapCleared,
        actualSizeBefore: before,
        actualSizeAfter: after,
        ownVolumeCount: target.own.length,
      });
      progress = finishProgress(progress);
      return this.end(jobId, attempt, {
        state: JobState.SUCCEEDED,
        actualSizeAfter: after,
        outcome: explained.outcome,
        outcomeMessage: explained.message,
        ...survivors,
      });
    } catch (error) {
      if (isFenced(fence)) return recordFenced(this.d.db, this.d.hostName, row, attempt, log);
      if (isHandBack(signal)) return recordHandBack(this.d.db, this.d.hostName, row, log);
      const code =
        error instanceof JobFailure || error instanceof StorageUnavailableError ? error.code : JobErrorCode.INTERNAL_ERROR;
      if (code === JobErrorCode.INTERNAL_ERROR) log.error({ err: error }, "sparsify job crashed");
      if (signal?.aborted && code === JobErrorCode.IMAGE_IN_USE) return this.end(jobId, attempt, { state: JobState.CANCELLED });
      return this.end(jobId, attempt, { state: JobState.FAILED, errorCode: code, errorMessage: (error as Error).message });
    } finally {
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

  private async loadTarget(row: SparsifyJob): Promise<Target> {
    const disk = await this.d.db.getRepository(Disk).findOneBy({ id: row.diskId });
    if (!disk || disk.status === DiskStatus.MISSING || !disk.leafVolumeId)
      throw new JobFailure(JobErrorCode.DISK_MISSING, "The disk is no longer in the inventory or its image is missing");
    const own = await this.d.db.getRepository(Volume).find({ where: { diskId: disk.id }, order: { depth: "ASC" } });
    const leaf = own.find((v) => v.id === disk.leafVolumeId);
    const domain = await this.d.db.getRepository(StorageDomain).findOneBy({ id: disk.storageDomainId });
    if (!leaf || !domain)
      throw new JobFailure(JobErrorCode.DISK_MISSING, "The disk's leaf volume or storage domain is gone; rescan");
    const leafPath = path.join(domain.path, leaf.relPath);
    // Paths come from our own scan, but never act outside the domain whatever the database says.
    if (!isInside(leafPath, domain.path))
      throw new JobFailure(JobErrorCode.CHAIN_INVALID, `Leaf path ${leaf.relPath} escapes the storage domain`);
    const chain = await loadRecordedChain(this.d.db.manager, disk, domain);
    const target = { disk, leaf, own, domain, leafPath, ownPaths: [], format: toImageFormat(leaf.format), chain };
    await this.guard(target);
    return target;
  }

  /** Every layer is still the file the scan saw (no symlink, hard link, device or other inode). */
  private async guard(t: Target): Promise<void> {
    try {
      const { own } = await guardDiskChain(this.d.db, t.domain, t.own, this.d.config.STORAGE_ROOTS);
      t.ownPaths = own;
      t.leafPath = own[0]!;
    } catch (error) {
      // Every path-guard code is also a JobErrorCode (same string).
      if (error instanceof PathGuardError) throw new JobFailure(error.code as unknown as JobErrorCode, error.message);
      throw error;
    }
  }

  /** The DIRECT branch (direct-job.ts), on the chain the path guard proves once more right now. */
  private async runDirect(
    t: Target,
    jobId: string,
    attempt: number,
    before: number,
    signal: AbortSignal,
    publish: DirectJobInput["publish"],
    flush: () => Promise<void>,
    log: Logger,
  ): Promise<DirectJobResult> {
    const { chain } = await guardDiskChain(this.d.db, t.domain, t.own, this.d.config.STORAGE_ROOTS);
    // Formats come from the recorded chain: one layer more or less than it is a changed chain.
    if (chain.length !== t.chain.layers.length)
      throw new JobFailure(
        JobErrorCode.CHAIN_CHANGED,
        `The disk's chain has ${chain.length} layers, the inventory ${t.chain.layers.length}; rescan`,
      );
    const layers = chain.map((p, i) => ({ path: p, format: t.chain.layers[i]!.format }));
    const input = {
      db: this.d.db,
      store: this.store,
      log,
      hostName: this.d.hostName,
      jobId,
      attempt,
      diskId: t.disk.id,
      domain: t.domain,
      layers,
      ownVolumeCount: t.own.length,
    };
    return runDirectJob(
      { ...input, actualSizeBefore: before, prover: directProver, signal, measure: () => this.measure(t), publish, flush },
      t.domain.directVerify,
    );
  }

  /** Everything that may have changed since the job was queued; returns actualSizeBefore. */
  private async precheck(t: Target, retried: boolean, signal?: AbortSignal): Promise<number> {
    // The inspector (before the first qemu-img call on the chain) and the database read are independent.
    const [, loaded] = await Promise.all([this.inspect(t), loadDiskFacts(this.d.db.manager, [t.disk])]);
    const facts = loaded.get(t.disk.id)!;
    // Our own lock and job are expected here; every other blocker still applies.
    const { blockers } = assessSparsify({ ...facts, status: DiskStatus.OK, activeJob: null });
    if (blockers.length) throw new JobFailure(JobErrorCode.DISK_NOT_SPARSIFIABLE, blockers.map((b) => b.message).join("; "));
    const deadline = Date.now() + this.d.config.IMAGE_IN_USE_DEADLINE_MS;
    let leafSize: number;
    for (;;) {
      const checked = await precheckImage({
        path: t.leafPath,
        format: t.format,
        expectedBackingPath: t.leaf.backingPath,
        allocationSetByUser: t.disk.allocationSource === AllocationSource.SET_BY_USER ? t.disk.allocation : null,
      });
      if (checked.ok) {
        leafSize = checked.info.actualSize;
        break;
      }
      // A retried job may find its own orphaned run still finishing: wait for it, up to a deadline.
      if (checked.code === JobErrorCode.IMAGE_IN_USE && retried && Date.now() < deadline && !signal?.aborted) {
        await sleep(2_000);
        continue;
      }
      throw new JobFailure(checked.code, checked.message);
    }
    // The pre-check's qemu-img info just read the leaf's size: one qemu-img call fewer before the run.
    return this.measure(t, leafSize);
  }

  /**
   * The image inspector over the recorded chain. A refusal is stored on the disk (a blocker
   * until a rescan finds the image clean) and ends the job with the refusal's code.
   */
  private async inspect(t: Target): Promise<void> {
    try {
      await inspectChain(t.chain.layers, t.domain.path);
    } catch (error) {
      if (!(error instanceof ImageRefusal)) throw error;
      await recordRefusal(this.d.db, t.disk.id, error);
      // Every InspectionCode is also a JobErrorCode (same string).
      throw new JobFailure(error.code as unknown as JobErrorCode, `The image inspector refused the disk: ${error.message}`);
    }
  }

  /** Actual size of the disk's own volumes now (the leaf's when just read); also refreshes the inventory. */
  private async measure(t: Target, leafSize?: number): Promise<number> {
    let total = 0;
    for (const [i, v] of t.own.entries()) {
      const read = () => qemuImgInfo(t.ownPaths[i]!, toImageFormat(v.format), { shared: true });
      const actualSize = i === 0 && leafSize !== undefined ? leafSize : (await read()).actualSize;
      total += actualSize;
      await this.d.db.getRepository(Volume).update({ id: v.id }, { actualSize, scannedAt: new Date() });
    }
    await this.d.db.getRepository(Disk).update({ id: t.disk.id }, { actualSize: total });
    return total;
  }
}
