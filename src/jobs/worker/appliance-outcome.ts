import type { Logger } from "pino";
import { JobErrorCode } from "../../domain/job-error-code.js";
import { explainOutcome } from "../../domain/sparsify-outcome.js";
import { JobState } from "../../entities/enums.js";
import { diagnoseRun } from "../../host/sparsify-failure-probe.js";
import { startMeasuring } from "../../host/sparsify-progress.js";
import type { SparsifyRunResult } from "../../host/virt-sparsify-runner.js";
import type { JobEnding } from "../../services/job-store.js";
import { isHandBack } from "./hand-back.js";
import type { RunProgress } from "./run-progress.js";
import type { Target, TargetChecks } from "./sparsify-target.js";
import type { StorageGuard } from "./storage-guard.js";

/** What the ending of a virt-sparsify run takes from the processor. */
export interface ApplianceOutcomeInput {
  hostName: string;
  log: Logger;
  checks: TargetChecks;
  storage: StorageGuard;
  progress: RunProgress;
  target: Target;
  /** The run's BullMQ signal: a hand-back seen here leaves the job to run again. */
  signal: AbortSignal | undefined;
  /** actualSizeBefore, from the pre-check. */
  before: number;
  result: SparsifyRunResult;
}

/** What the log says of a finished run. Pure. */
export function finishedLogFields(result: SparsifyRunResult, before: number, after: number) {
  return {
    exitCode: result.exitCode,
    trimmed: result.trimmedDevices,
    before,
    after,
    ms: result.durationMs,
    // A failed run's own words: the job's message is a diagnosis, the operator needs the tool's.
    ...(result.exitCode !== 0 ? { stderrTail: result.stderrTail } : {}),
  };
}

/**
 * How a finished virt-sparsify run ends its job: measured, diagnosed and explained. Null when the
 * worker handed the job back meanwhile (nothing is ended).
 */
export async function applianceEnding(input: ApplianceOutcomeInput): Promise<JobEnding | null> {
  const { log, storage, progress, target, result, before } = input;
  // Processes that outlived SIGKILL (stuck on storage) keep the disk blocked until they are gone.
  const survivors = result.survivors.length
    ? { survivors: { host: input.hostName, processes: result.survivors.map(({ pid, startTime }) => ({ pid, startTime })) } }
    : {};
  if (result.survivors.length) log.warn({ pids: result.survivors.map((p) => p.pid) }, "processes of the run outlived SIGKILL");
  if (storage.lost) {
    // Nothing is measured or probed: the image is unreachable, and a probe could hang too.
    return {
      state: JobState.FAILED,
      errorCode: JobErrorCode.STORAGE_UNAVAILABLE,
      errorMessage: `The storage became unavailable during the run and the run was stopped: ${storage.lost}`,
      ...survivors,
    };
  }
  if (isHandBack(input.signal)) {
    // The worker is stopping: nothing is measured (a probe of the image costs the stop budget) or ended.
    log.info({ exitCode: result.exitCode, ms: result.durationMs }, "virt-sparsify stopped for a hand-back");
    return null;
  }
  progress.publish(startMeasuring(progress.current));
  const after = await storage.until(input.checks.measure(target));
  await progress.flushed();
  log.info(finishedLogFields(result, before, after), "virt-sparsify finished");
  if (isHandBack(input.signal)) return null; // the stop came while measuring

  if (result.cancelled)
    return {
      state: JobState.CANCELLED,
      actualSizeAfter: after,
      outcomeMessage: "Cancelled; the image was left consistent",
      ...survivors,
    };
  const failure = await storage.until(diagnoseRun(result, { path: target.leafPath, format: target.format }));
  if (failure)
    return {
      state: JobState.FAILED,
      actualSizeAfter: after,
      errorCode: failure.code,
      errorMessage: failure.message,
      ...survivors,
    };
  const explained = explainOutcome({
    trimmedDevices: result.trimmedDevices,
    swapCleared: result.swapCleared,
    actualSizeBefore: before,
    actualSizeAfter: after,
    ownVolumeCount: target.own.length,
  });
  return {
    state: JobState.SUCCEEDED,
    actualSizeAfter: after,
    outcome: explained.outcome,
    outcomeMessage: explained.message,
    ...survivors,
  };
}
