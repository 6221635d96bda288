import { JobErrorCode } from "../domain/job-error-code.js";
import { SparsifyPhase } from "../domain/sparsify-job-enums.js";
import type { SparsifyOutcome } from "../domain/sparsify-outcome.js";
import { In, type DataSource, type EntityManager } from "typeorm";
import { ACTIVE_JOB_STATES, DiskStatus, JobState } from "../entities/enums.js";
import { Disk, SparsifyJob } from "../entities/index.js";
import type { EventBus } from "../jobs/queue/event-bus.js";
import { toSnapshot } from "../jobs/queue/job-snapshot.js";
import { recordEvent } from "./audit.js";
import { refreshAssessments } from "./disk-assessment.service.js";
import { hydrateRow } from "./hydrate-row.js";

/** Ids per statement of {@link JobStore.getMany}. */
const GET_MANY_CHUNK = 5_000;

export type TerminalState = JobState.SUCCEEDED | JobState.FAILED | JobState.CANCELLED;

export interface JobEnding {
  state: TerminalState;
  outcome?: SparsifyOutcome | null;
  outcomeMessage?: string | null;
  errorCode?: JobErrorCode | null;
  errorMessage?: string | null;
  actualSizeAfter?: number | null;
  /** Who ended it: the requester for a cancel, "reconciler", or the host. */
  actor?: string;
  /** Processes of the run that outlived it (host + pid/start time): the disk stays blocked (RUN_STILL_ALIVE). */
  survivors?: { host: string; processes: { pid: number; startTime: string }[] };
}

const EVENT_TYPE: Record<TerminalState, string> = {
  [JobState.SUCCEEDED]: "JOB_SUCCEEDED",
  [JobState.FAILED]: "JOB_FAILED",
  [JobState.CANCELLED]: "JOB_CANCELLED",
};

/** Writes job state to PostgreSQL (the truth) and announces every change on the bus. */
export class JobStore {
  constructor(
    private readonly db: DataSource,
    private readonly bus: EventBus,
  ) {}

  async get(id: string, em: EntityManager = this.db.manager): Promise<SparsifyJob | null> {
    return em.findOneBy(SparsifyJob, { id });
  }

  /** The jobs of `ids` that exist, read in chunks (one statement's parameters are bounded). */
  async getMany(ids: readonly string[]): Promise<SparsifyJob[]> {
    const out: SparsifyJob[] = [];
    for (let i = 0; i < ids.length; i += GET_MANY_CHUNK)
      out.push(...(await this.db.getRepository(SparsifyJob).findBy({ id: In(ids.slice(i, i + GET_MANY_CHUNK)) })));
    return out;
  }

  async announce(job: SparsifyJob): Promise<void> {
    await this.bus.publish({ type: "job", job: toSnapshot(job) }).catch(() => {});
  }

  /** Announces many jobs in one round trip; like announce, a lost message is not an error. */
  async announceMany(jobs: readonly SparsifyJob[]): Promise<void> {
    await this.bus.publishMany(jobs.map((job) => ({ type: "job", job: toSnapshot(job) }) as const)).catch(() => {});
  }

  /**
   * Patches an active job; returns null when it is no longer active (cancelled, reconciled) or,
   * given `attempt`, when the row belongs to another attempt: a run whose job was taken over by
   * another host changes nothing (`WHERE attempts = $n`, in the same statement as the write).
   */
  async patchActive(id: string, patch: Partial<SparsifyJob>, attempt?: number): Promise<SparsifyJob | null> {
    // One round trip: the row comes back from RETURNING (each progress tick used to re-read it).
    const result = await this.db
      .createQueryBuilder()
      .update(SparsifyJob)
      .set(patch)
      .where({ id, state: In([...ACTIVE_JOB_STATES]), ...(attempt === undefined ? {} : { attempts: attempt }) })
      .returning("*")
      .updateEntity(false)
      .execute();
    const raw = (result.raw as Record<string, unknown>[] | undefined)?.[0];
    if (!raw) return null;
    const job = hydrateJob(this.db, raw);
    await this.announce(job);
    return job;
  }

  /**
   * A run claims the job for its attempt: compare-and-set from the attempt it read, so two hosts
   * that both picked the job up cannot both run it as the same attempt. Returns null when the row
   * moved on (another attempt claimed it, or the job ended).
   */
  claimAttempt(id: string, seenAttempt: number, patch: Partial<SparsifyJob>): Promise<SparsifyJob | null> {
    return this.patchActive(id, { ...patch, attempts: seenAttempt + 1 }, seenAttempt);
  }

  /**
   * The first write of a run, in one statement: reads the row and claims its next attempt with the
   * same compare-and-set as {@link claimAttempt} (`attempts` as read, re-tested on the newest row
   * version, so of two hosts that both read attempt n only one claims n + 1). Claims only a job
   * that is still active, has no cancel request and is not fenced; anything else returns null and
   * the caller decides from a plain read, as before. `seen` is the row as it was before the claim.
   * A retried job (seen RUNNING: its worker died) starts over at `progress`, a first run keeps the
   * larger of the two. A first run's JOB_STARTED audit event (`startedMessage`) is written by the
   * same statement; a retry's is the caller's (it says what was lost).
   */
  async claimRun(
    id: string,
    run: { phase: SparsifyPhase; progress: number; host: string; startedAt: Date; startedMessage: string },
  ): Promise<{ seen: SparsifyJob; running: SparsifyJob } | null> {
    const rows = (await this.db.query(
      `WITH seen AS (
         SELECT id, state, phase, progress, host, attempts, "startedAt" FROM sparsify_job
          WHERE id = $1 AND state IN ('QUEUED', 'RUNNING') AND "cancelRequestedAt" IS NULL
       ), claimed AS (
         UPDATE sparsify_job j
            SET state = 'RUNNING', phase = $2, host = $4, attempts = seen.attempts + 1,
                progress = CASE WHEN seen.state = 'RUNNING' THEN $3 ELSE GREATEST(seen.progress, $3) END,
                "startedAt" = COALESCE(seen."startedAt", $5)
           FROM seen
          WHERE j.id = seen.id AND j.attempts = seen.attempts AND j.state IN ('QUEUED', 'RUNNING')
            AND j."cancelRequestedAt" IS NULL
         RETURNING j.*, seen.state AS "seen.state", seen.phase AS "seen.phase", seen.progress AS "seen.progress",
                   seen.host AS "seen.host", seen.attempts AS "seen.attempts", seen."startedAt" AS "seen.startedAt"
       ), started AS (
         INSERT INTO event (type, actor, "diskId", "jobId", message)
         SELECT 'JOB_STARTED', c."requestedBy", c."diskId", c.id, $6 FROM claimed c WHERE c."seen.state" = 'QUEUED'
       )
       SELECT * FROM claimed`,
      [id, run.phase, run.progress, run.host, run.startedAt, run.startedMessage],
    )) as Record<string, unknown>[];
    const raw = rows[0];
    if (!raw) return null;
    const running = hydrateJob(this.db, raw);
    const seen = hydrateJob(this.db, {
      ...raw,
      ...Object.fromEntries(CLAIMED_COLUMNS.map((c) => [c, raw[`seen.${c}`]])),
    });
    await this.announce(running);
    return { seen, running };
  }

  /**
   * Ends an active job and releases its disk, in one transaction: a job never ends with its disk
   * still locked. Returns null when the job had already ended (first writer wins) or, given
   * `attempt`, when another attempt holds the row (a stale run's result is rejected).
   */
  async finish(id: string, ending: JobEnding, attempt?: number): Promise<SparsifyJob | null> {
    const job = await this.db.transaction(async (em) => {
      // The row lock and the attempt test are one statement: no newer attempt can slip in between.
      const current = await em
        .getRepository(SparsifyJob)
        .findOne({ where: { id, ...(attempt === undefined ? {} : { attempts: attempt }) }, lock: { mode: "pessimistic_write" } });
      if (!current || !ACTIVE_JOB_STATES.includes(current.state as (typeof ACTIVE_JOB_STATES)[number])) return null;
      Object.assign(current, {
        state: ending.state,
        phase: ending.state === JobState.SUCCEEDED ? SparsifyPhase.DONE : current.phase,
        progress: ending.state === JobState.SUCCEEDED ? 100 : current.progress,
        outcome: ending.outcome ?? null,
        outcomeMessage: ending.outcomeMessage ?? null,
        errorCode: ending.errorCode ?? null,
        errorMessage: ending.errorMessage ?? null,
        actualSizeAfter: ending.actualSizeAfter ?? current.actualSizeAfter,
        finishedAt: new Date(),
      });
      await em.save(SparsifyJob, current);
      await em.update(Disk, { id: current.diskId, status: DiskStatus.LOCKED }, { status: DiskStatus.OK });
      if (ending.survivors?.processes.length) {
        const runStillAlive = {
          jobId: current.id,
          host: ending.survivors.host,
          processes: ending.survivors.processes,
          since: new Date().toISOString(),
        };
        await em.update(Disk, { id: current.diskId }, { runStillAlive });
      }
      await refreshAssessments(em, [current.diskId]);
      const detail = ending.outcomeMessage ?? ending.errorMessage ?? "";
      await recordEvent(em, {
        type: EVENT_TYPE[ending.state],
        actor: ending.actor ?? current.requestedBy,
        diskId: current.diskId,
        jobId: current.id,
        storageDomainId: current.storageDomainId,
        message: `Sparsify job ${ending.state.toLowerCase()}${detail ? `: ${detail}` : ""}`,
        data: {
          outcome: current.outcome,
          errorCode: current.errorCode,
          before: current.actualSizeBefore,
          after: current.actualSizeAfter,
          host: current.host,
        },
      });
      return current;
    });
    if (job) await this.announce(job);
    return job;
  }
}

/** The columns {@link JobStore.claimRun} writes; every other column is as it was read. */
const CLAIMED_COLUMNS = ["state", "phase", "progress", "host", "attempts", "startedAt"] as const;

/** A raw `sparsify_job` row (RETURNING *) as the entity a read would load (see hydrateRow). */
export function hydrateJob(db: DataSource, raw: Record<string, unknown>): SparsifyJob {
  return hydrateRow(db, SparsifyJob, raw);
}
