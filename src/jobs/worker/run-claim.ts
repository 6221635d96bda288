import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import { JobState } from "../../entities/enums.js";
import type { SparsifyJob } from "../../entities/index.js";
import type { SparsifyProgress } from "../../host/sparsify-progress.js";
import type { JobEnding, JobStore } from "../../services/job-store.js";
import type { HandedBack } from "./hand-back.js";
import { isFenced } from "./run-lease.js";
import { recordFenced } from "./run-events.js";

/** What claiming a run takes from the processor. */
export interface RunClaimDeps {
  db: DataSource;
  log: Logger;
  hostName: string;
  store: JobStore;
  /** Ends the job if `attempt` still holds it. */
  end: (jobId: string, attempt: number, ending: JobEnding) => Promise<{ state: string }>;
}

/** The claimed run, or what the processor returns at once when there is nothing to run. */
export type RunClaim =
  { row: SparsifyJob; running: SparsifyJob; startRecorded: boolean } | { early: { state: string } | HandedBack | null };

/**
 * Claims the job for this run: RUNNING, this host, the next attempt. The common case is one
 * statement (JobStore.claimRun: read and compare-and-set together). When it claims nothing, the
 * row is read and each reason handled as it always was: ended meanwhile, fenced, cancelled before
 * it started, or another host claimed the attempt first.
 */
export async function claimRun(
  d: RunClaimDeps,
  jobId: string,
  progress: SparsifyProgress,
  fence: AbortSignal | undefined,
): Promise<RunClaim> {
  const run = {
    ...{ phase: progress.phase, progress: progress.progress, host: d.hostName, startedAt: new Date() },
    startedMessage: `Sparsify started on ${d.hostName}`,
  };
  const claimed = isFenced(fence) ? null : await d.store.claimRun(jobId, run);
  if (claimed) return { row: claimed.seen, running: claimed.running, startRecorded: true };
  const row = await d.store.get(jobId);
  if (!row || (row.state !== JobState.QUEUED && row.state !== JobState.RUNNING)) return { early: null }; // ended meanwhile
  const log = d.log.child({ jobId, diskId: row.diskId });
  if (isFenced(fence)) return { early: recordFenced(d.db, d.hostName, row, row.attempts + 1, log) };
  if (row.cancelRequestedAt)
    return { early: await d.end(jobId, row.attempts, { state: JobState.CANCELLED, actor: row.requestedBy }) };
  const retried = row.state === JobState.RUNNING;
  // Compare-and-set from the attempt read above: of two hosts holding the job, one claims it.
  const running = await d.store.claimAttempt(jobId, row.attempts, {
    state: JobState.RUNNING,
    phase: run.phase,
    progress: retried ? run.progress : Math.max(row.progress, run.progress),
    host: run.host,
    startedAt: row.startedAt ?? run.startedAt,
  });
  return running ? { row, running, startRecorded: false } : { early: null };
}
