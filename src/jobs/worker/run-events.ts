import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { SparsifyJob } from "../../entities/index.js";
import { recordEvent } from "../../services/audit.js";
import type { HandedBack } from "./hand-back.js";

/**
 * What a sparsify run says in the log and the audit trail when it does not end its job itself:
 * handed back, fenced, or picked up after another attempt was lost. None touches the job row.
 */

/**
 * The worker stops: the job stays RUNNING in PostgreSQL and goes back to the queue (the caller moves it);
 * its next run resumes it as a retry.
 */
export async function recordHandBack(db: DataSource, hostName: string, row: SparsifyJob, log: Logger): Promise<HandedBack> {
  log.warn("worker stopping: job handed back to the queue, to run again");
  await recordEvent(db.manager, {
    type: "JOB_HANDED_BACK",
    diskId: row.diskId,
    jobId: row.id,
    message: `The worker on ${hostName} stopped; the job went back to the queue to run again`,
  }).catch(() => {});
  return { handedBack: true };
}

/** Each try at the fence record gets this long; a partitioned connection never answers in time. */
const FENCE_RECORD_TRY_MS = 10_000;
/** Pause between tries (a refused connection fails at once). */
const FENCE_RECORD_PAUSE_MS = 2_000;
/** Tries for this long, then the log line is all there is. */
const FENCE_RECORD_FOR_MS = 15 * 60_000;

/**
 * This host's lease lapsed (Redis unreachable, lock lost): the run was stopped before another
 * host could take the job over. The audit record is history only and is not waited for: the
 * host's slot must be free at once. It is tried again on another connection until PostgreSQL
 * answers, since a connection that was writing when the link went down may stay stuck for
 * minutes (TCP retransmission backoff); the record is written once even if a stuck try lands late.
 */
export function recordFenced(db: DataSource, hostName: string, row: SparsifyJob, attempt: number, log: Logger): HandedBack {
  log.warn({ attempt }, `sparsify run fenced: attempt ${attempt} on ${hostName} stopped, its lease lapsed`);
  const write = () =>
    db.transaction(async (em) => {
      // Serialises concurrent tries (a stuck one landing late): the existence check then holds.
      await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`job-fenced:${row.id}:${attempt}`]);
      const [{ seen }] = await em.query(
        `SELECT EXISTS (SELECT 1 FROM event WHERE type = 'JOB_FENCED' AND "jobId" = $1 AND data->>'attempt' = $2) AS seen`,
        [row.id, String(attempt)],
      );
      if (seen) return;
      await recordEvent(em, {
        type: "JOB_FENCED",
        actor: `host:${hostName}`,
        diskId: row.diskId,
        jobId: row.id,
        message: `Attempt ${attempt} on ${hostName} lost its lease on the job and stopped its run before another host could take it over`,
        data: { attempt, host: hostName },
      });
    });
  void (async () => {
    const deadline = Date.now() + FENCE_RECORD_FOR_MS;
    while (Date.now() < deadline) {
      const tried = write().then(
        () => true,
        () => false,
      );
      const written = await Promise.race([tried, sleep(FENCE_RECORD_TRY_MS, false, { ref: false })]);
      if (written) return;
      await sleep(FENCE_RECORD_PAUSE_MS, undefined, { ref: false });
    }
    log.warn({ attempt, jobId: row.id }, "the fence of this run could not be recorded in the audit trail");
  })();
  return { handedBack: true };
}

/** A worker died with this job (crash, SIGKILL, lost host): say so in the log and the audit trail. */
export async function recordRetry(
  db: DataSource,
  hostName: string,
  row: SparsifyJob,
  attempt: number,
  log: Logger,
): Promise<void> {
  const lost =
    `attempt ${row.attempts} on ${row.host ?? "an unknown host"} ` +
    `was lost at ${row.phase} ${row.progress} % (its worker stopped)`;
  log.warn(
    { attempt: row.attempts, previousHost: row.host, phase: row.phase, progress: row.progress },
    `sparsify job lost: ${lost}`,
  );
  log.warn({ attempt, host: hostName }, `sparsify job retried: attempt ${attempt} on ${hostName}`);
  await recordEvent(db.manager, {
    type: "JOB_RETRIED",
    diskId: row.diskId,
    jobId: row.id,
    message: `Attempt ${attempt} on ${hostName}: ${lost}`,
    data: { attempt, host: hostName, previousHost: row.host, lostAtPhase: row.phase, lostAtProgress: row.progress },
  });
}
