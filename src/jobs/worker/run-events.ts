import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { SparsifyJob } from "../../entities/index.js";
import { recordEvent } from "../../services/audit.js";
import type { HandedBack } from "./hand-back.js";

/**
 * What a sparsify run says in the log and the audit trail when it does not end its job itself:
 * handed back, fenced, or picked up after another attempt was lost. None touches the job row.
 */

/** The worker stops: the job stays RUNNING in PostgreSQL and goes back to the queue (the caller moves it); its next run resumes it as a retry. */
export async function recordHandBack(db: DataSource, hostName: string, row: SparsifyJob, log: Logger): Promise<HandedBack> {
  log.warn("worker stopping: job handed back to the queue, to run again");
  await recordEvent(db.manager, { type: "JOB_HANDED_BACK", diskId: row.diskId, jobId: row.id, message: `The worker on ${hostName} stopped; the job went back to the queue to run again` }).catch(() => {});
  return { handedBack: true };
}

/**
 * This host's lease lapsed (Redis unreachable, lock lost): the run was stopped before another
 * host could take the job over. The record is history only and is not waited for: after a
 * partition its connection may answer only at TCP's next retransmission (up to ~2 min), and the
 * host's slot must be free for other work long before that.
 */
export function recordFenced(db: DataSource, hostName: string, row: SparsifyJob, attempt: number, log: Logger): HandedBack {
  log.warn({ attempt }, `sparsify run fenced: attempt ${attempt} on ${hostName} stopped, its lease lapsed`);
  void recordEvent(db.manager, {
    type: "JOB_FENCED",
    actor: `host:${hostName}`,
    diskId: row.diskId,
    jobId: row.id,
    message: `Attempt ${attempt} on ${hostName} lost its lease on the job and stopped its run before another host could take the job over`,
    data: { attempt, host: hostName },
  }).catch(() => {});
  return { handedBack: true };
}

/** A worker died with this job (crash, SIGKILL, lost host): say so in the log and the audit trail. */
export async function recordRetry(db: DataSource, hostName: string, row: SparsifyJob, attempt: number, log: Logger): Promise<void> {
  const lost = `attempt ${row.attempts} on ${row.host ?? "an unknown host"} was lost at ${row.phase} ${row.progress} % (its worker stopped)`;
  log.warn({ attempt: row.attempts, previousHost: row.host, phase: row.phase, progress: row.progress }, `sparsify job lost: ${lost}`);
  log.warn({ attempt, host: hostName }, `sparsify job retried: attempt ${attempt} on ${hostName}`);
  await recordEvent(db.manager, {
    type: "JOB_RETRIED",
    diskId: row.diskId,
    jobId: row.id,
    message: `Attempt ${attempt} on ${hostName}: ${lost}`,
    data: { attempt, host: hostName, previousHost: row.host, lostAtPhase: row.phase, lostAtProgress: row.progress },
  });
}
