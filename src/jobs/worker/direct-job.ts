import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import { DirectFallbackReason, SparsifyMethod } from "../../domain/direct-method.js";
import type { DirectVerifyMode } from "../../domain/direct-verify-mode.js";
import { JobErrorCode } from "../../domain/job-error-code.js";
import { SparsifyPhase } from "../../domain/sparsify-job-enums.js";
import { explainOutcome } from "../../domain/sparsify-outcome.js";
import { JobState } from "../../entities/enums.js";
import { Disk, StorageDomain } from "../../entities/index.js";
import { DirectRefusal } from "../../host/direct/direct-contract.js";
import {
  DirectRunError,
  DirectVerificationError,
  runDirect,
  type DirectPhase,
  type DirectProver,
} from "../../host/direct/run-direct.js";
import type { ImageFormat } from "../../host/image-format.js";
import { ImageErrorCode, ImageProbeError } from "../../host/image-probe-error.js";
import { recordEvent } from "../../services/audit.js";
import { refreshAssessments } from "../../services/disk-assessment.service.js";
import type { JobEnding, JobStore } from "../../services/job-store.js";

/** Progress each DIRECT phase starts at (the run is short: the bar moves by phase). */
const PHASE_PROGRESS: Record<DirectPhase, { phase: SparsifyPhase; progress: number }> = {
  READING: { phase: SparsifyPhase.READING, progress: 10 },
  DISCARDING: { phase: SparsifyPhase.DISCARDING, progress: 40 },
  VERIFYING: { phase: SparsifyPhase.VERIFYING, progress: 70 },
};

/** What the DIRECT branch of a sparsify job needs from the processor. */
export interface DirectJobInput {
  /** The run's attempt: every job-row write is conditioned on it (a fenced, stale run changes nothing). */
  attempt: number;
  db: DataSource;
  store: JobStore;
  log: Logger;
  hostName: string;
  jobId: string;
  diskId: string;
  domain: StorageDomain;
  /** The disk's chain, leaf first, as the path guard proved it just now. */
  layers: { path: string; format: ImageFormat }[];
  ownVolumeCount: number;
  actualSizeBefore: number;
  prover: DirectProver;
  /** Aborted on cancel or lost storage. */
  signal: AbortSignal;
  /** Actual size of the disk's own volumes now (refreshes the inventory). */
  measure: () => Promise<number>;
  /** Writes a phase and progress (in order, like the virt-sparsify path). */
  publish: (phase: SparsifyPhase, progress: number) => void;
  /** Waits for the writes `publish` queued. */
  flush: () => Promise<void>;
}

/** Either the job's ending, or why it runs virt-sparsify instead (decided before any discard). */
export type DirectJobResult = { ending: JobEnding } | { fallbackReason: DirectFallbackReason };

/**
 * The verification failed after discards: block the disk (DIRECT_VERIFICATION_FAILED), turn
 * DIRECT off for its domain, and say so loudly (error log, two audit events).
 */
async function quarantine(input: DirectJobInput, message: string): Promise<void> {
  const { db, domain, diskId, jobId } = input;
  input.log.error(
    { diskId, storageDomainId: domain.id, jobId },
    `DIRECT VERIFICATION FAILED: ${message}; disk blocked, DIRECT turned off for domain ${domain.name}`,
  );
  await db.transaction(async (em) => {
    await em.update(Disk, { id: diskId }, { directVerificationFailed: { jobId, message, at: new Date().toISOString() } });
    await em.update(StorageDomain, { id: domain.id }, { sparsifyMethod: SparsifyMethod.VIRT_SPARSIFY });
    await refreshAssessments(em, [diskId]);
    await recordEvent(em, {
      type: "DIRECT_VERIFICATION_FAILED",
      diskId,
      jobId,
      storageDomainId: domain.id,
      message:
        `DIRECT sparsify of the disk failed its verification on ${input.hostName}: ${message}. ` +
        `The disk is blocked until checked; DIRECT is turned off for ${domain.name}`,
      data: { host: input.hostName, message },
    });
    await recordEvent(em, {
      type: "SPARSIFY_METHOD_SET",
      storageDomainId: domain.id,
      jobId,
      message:
        `Storage domain ${domain.name} now sparsifies with VIRT_SPARSIFY: ` +
        `DIRECT was turned off automatically after a failed verification (job ${jobId})`,
      data: { method: SparsifyMethod.VIRT_SPARSIFY, previousMethod: SparsifyMethod.DIRECT, automatic: true },
    });
  });
}

/**
 * Runs a job of a DIRECT domain (src/host/direct/run-direct.ts) and records it like a
 * virt-sparsify run: methodUsed, skippedPartitions, actual sizes, outcome. A refusal before any
 * discard is recorded as the job's fallbackReason and handed back to the processor.
 */
export async function runDirectJob(input: DirectJobInput, verify: DirectVerifyMode): Promise<DirectJobResult> {
  const { store, jobId, log } = input;
  await store.patchActive(jobId, { methodUsed: SparsifyMethod.DIRECT }, input.attempt);
  let discarded = false;
  try {
    const result = await runDirect({
      layers: input.layers,
      prover: input.prover,
      verify,
      signal: input.signal,
      onPhase: (phase) => input.publish(PHASE_PROGRESS[phase].phase, PHASE_PROGRESS[phase].progress),
      onFirstDiscard: () => {
        discarded = true;
      },
      // DISCARDING spans 40–70 %: move within it batch by batch.
      onDiscardProgress: (sent, total) =>
        input.publish(SparsifyPhase.DISCARDING, 40 + Math.floor((30 * sent) / Math.max(total, 1))),
    });
    await input.flush();
    input.publish(SparsifyPhase.MEASURING, 90);
    // The size is read while the skipped partitions are saved: neither needs the other.
    const [after] = await Promise.all([
      input.measure(),
      input.flush().then(() => store.patchActive(jobId, { skippedPartitions: result.skipped }, input.attempt)),
    ]);
    await input.flush();
    log.info(
      {
        discarded: result.discardedBytes,
        ranges: result.discardCount,
        parts: result.parts,
        skipped: result.skipped.length,
        verify,
        before: input.actualSizeBefore,
        after,
        ms: result.durationMs,
      },
      "DIRECT sparsify finished",
    );
    const devices = result.parts.map((p) => `partition ${p.number} (${p.kind})`);
    const explained = explainOutcome({
      trimmedDevices: devices.filter((_, i) => result.parts[i]!.kind !== "swap"),
      swapCleared: devices.filter((_, i) => result.parts[i]!.kind === "swap"),
      actualSizeBefore: input.actualSizeBefore,
      actualSizeAfter: after,
      ownVolumeCount: input.ownVolumeCount,
    });
    return {
      ending: {
        state: JobState.SUCCEEDED,
        actualSizeAfter: after,
        outcome: explained.outcome,
        outcomeMessage: `DIRECT, verified ${verify}: ${explained.message}`,
      },
    };
  } catch (error) {
    await input.flush();
    if (error instanceof DirectRefusal && !discarded) {
      log.warn(
        { reason: error.reason, detail: error.message },
        "DIRECT refused before any discard: running virt-sparsify instead",
      );
      await store.patchActive(jobId, { fallbackReason: error.reason, methodUsed: SparsifyMethod.VIRT_SPARSIFY }, input.attempt);
      await recordEvent(input.db.manager, {
        type: "DIRECT_FALLBACK",
        diskId: input.diskId,
        jobId,
        storageDomainId: input.domain.id,
        message: `DIRECT was not used (${error.reason}: ${error.message}); the job runs virt-sparsify`,
        data: { reason: error.reason, detail: error.message },
      });
      return { fallbackReason: error.reason };
    }
    const after = discarded ? await input.measure().catch(() => null) : null;
    const measured = after === null ? {} : { actualSizeAfter: after };
    if (error instanceof DirectVerificationError) {
      await quarantine(input, error.message);
      return {
        ending: {
          state: JobState.FAILED,
          errorCode: JobErrorCode.DIRECT_VERIFICATION_FAILED,
          errorMessage: error.message,
          ...measured,
        },
      };
    }
    if (input.signal.aborted)
      return {
        ending: {
          state: JobState.CANCELLED,
          outcomeMessage: discarded ? "Cancelled during the discards; every discarded range was proven free" : "Cancelled",
          ...measured,
        },
      };
    if (error instanceof ImageProbeError && error.code === ImageErrorCode.IMAGE_IN_USE) {
      return { ending: { state: JobState.FAILED, errorCode: JobErrorCode.IMAGE_IN_USE, errorMessage: error.message } };
    }
    if (error instanceof DirectRunError)
      return {
        ending: { state: JobState.FAILED, errorCode: JobErrorCode.DIRECT_FAILED, errorMessage: error.message, ...measured },
      };
    throw error;
  }
}
