import { JobErrorCode } from "../domain/job-error-code.js";
import { JobTrigger, SparsifyPhase } from "../domain/sparsify-job-enums.js";
import type { SparsifyMethod } from "../domain/direct-method.js";
import { randomUUID } from "node:crypto";
import DataLoader from "dataloader";
import { In } from "typeorm";
import { assessSparsify } from "../domain/sparsify-blockers.js";
import { SparsifyIssueCode } from "../domain/sparsify-issue.js";
import { ACTIVE_JOB_STATES, DiskStatus, JobState } from "../entities/enums.js";
import { Disk, SparsifyJob } from "../entities/index.js";
import { AppError, ErrorCode, notFound } from "../errors.js";
import { JobName, type SparsifyJobData } from "../jobs/queue/queue-names.js";
import { recordEvent } from "./audit.js";
import { writeRequestedJobs } from "./requested-jobs.js";
import { isUniqueViolation } from "./db-errors.js";
import type { Services } from "./context.js";
import { loadDiskFacts } from "./disk-assessment.service.js";
import { parseId } from "./ids.js";
import { BulkSparsifyService } from "./bulk-sparsify.service.js";
import { JobStore } from "./job-store.js";
import { hydrateRow } from "./hydrate-row.js";

const jobActive = (id?: string) =>
  new AppError(ErrorCode.DISK_NOT_SPARSIFIABLE, "The disk cannot be sparsified now", {
    blockers: [
      {
        code: SparsifyIssueCode.JOB_ACTIVE,
        message: `A sparsify job is already queued or running for this disk${id ? ` (job ${id})` : ""}`,
      },
    ],
  });

/** sparsifyDisk and cancelSparsifyJob: validate, lock, enqueue; never leave a disk locked. */
export class SparsifyService {
  readonly store: JobStore;
  /** sparsifyDisks: the same checks for many disks in one transaction. */
  readonly bulk: BulkSparsifyService;

  constructor(private readonly s: Services) {
    this.store = new JobStore(s.db, s.bus);
    this.bulk = new BulkSparsifyService(s, this.store);
  }

  async get(id: string): Promise<SparsifyJob> {
    const job = await this.store.get(parseId(id));
    if (!job) throw notFound("Sparsify job", id);
    return job;
  }

  /**
   * Current states for subscriptions whose live stream is already open: the reads asked for in one
   * turn of the event loop are one query (a dashboard opening, or thousands of tabs reconnecting
   * after a restart, would otherwise queue for the pool's connections). Never cached: the query
   * starts after every caller of its batch subscribed, so none of them misses a change.
   */
  private readonly currentStates = new DataLoader<string, SparsifyJob | null>(
    async (ids) => {
      const jobs = await this.s.db.getRepository(SparsifyJob).findBy({ id: In([...new Set(ids)]) });
      const byId = new Map(jobs.map((j) => [j.id, j]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { cache: false, batchScheduleFn: (run) => setImmediate(run) },
  );

  /** `get` for a subscription's first state (see currentStates). */
  async current(id: string): Promise<SparsifyJob> {
    const job = await this.currentStates.load(parseId(id));
    if (!job) throw notFound("Sparsify job", id);
    return job;
  }

  /**
   * Re-evaluates the blockers and locks the disk in one transaction (row lock on the disk, plus
   * the partial unique index on active jobs), then enqueues. If enqueueing fails the job ends
   * FAILED and the disk is released.
   */
  async request(diskIdRaw: string, actor: string, trigger: JobTrigger = JobTrigger.USER): Promise<SparsifyJob> {
    const diskId = parseId(diskIdRaw, "diskId");
    let job: SparsifyJob;
    let method: SparsifyMethod;
    try {
      ({ job, method } = await this.s.db.transaction(async (em) => {
        // Lock order shared with removeStorageDomain: the domain row (shared), then the disk; one
        // statement takes both in that order (row marks lock in the order the clauses name them). A
        // removal that commits first leaves no row here; one that comes later sees this job.
        const [row] = (await em.query(
          `SELECT d.*, sd."sparsifyMethod" AS "domainSparsifyMethod" FROM storage_domain sd ` +
            `JOIN disk d ON d."storageDomainId" = sd.id WHERE d.id = $1 FOR SHARE OF sd FOR UPDATE OF d`,
          [diskId],
        )) as (Record<string, unknown> & { domainSparsifyMethod: SparsifyMethod })[];
        if (!row) throw notFound("Disk", diskId);
        const disk = hydrateRow(this.s.db, Disk, row);
        const facts = (await loadDiskFacts(em, [disk])).get(disk.id)!;
        const { blockers } = assessSparsify(facts);
        if (blockers.length)
          throw new AppError(ErrorCode.DISK_NOT_SPARSIFIABLE, `Disk ${disk.alias} cannot be sparsified now`, { blockers });
        // Every column the API shows, as the INSERT leaves it (the rest are the table's defaults).
        const created = em.create(SparsifyJob, {
          ...{
            id: randomUUID(),
            diskId: disk.id,
            storageDomainId: disk.storageDomainId,
            requestedBy: actor,
            trigger,
            actualSizeBefore: disk.actualSize,
            createdAt: new Date(),
          },
          ...{ state: JobState.QUEUED, phase: SparsifyPhase.QUEUED, progress: 0, attempts: 0 },
        });
        // The facts are already loaded: assess the locked disk from them instead of re-reading.
        const locked = assessSparsify({
          ...facts,
          status: DiskStatus.LOCKED,
          activeJob: { id: created.id, state: JobState.QUEUED },
        });
        // Job, disk lock and audit event in one statement (one round trip).
        const lockedRow = { sparsifiable: locked.blockers.length === 0, blockers: locked.blockers, warnings: locked.warnings };
        await writeRequestedJobs(
          em,
          [{ job: created, locked: lockedRow, message: `Sparsify of ${disk.alias} requested` }],
          actor,
        );
        return { job: created, method: row.domainSparsifyMethod };
      }));
    } catch (error) {
      if (isUniqueViolation(error)) throw jobActive();
      throw error;
    }
    // QUEUED goes out with the add, not a round trip after it: both are written to the gateway's one
    // Redis connection in this order, so no worker can take the job (and announce RUNNING) before
    // QUEUED is published. Should the add fail, the job's FAILED follows it.
    const announced = this.store.announce(job);
    try {
      const data: SparsifyJobData = {
        jobId: job.id,
        diskId: job.diskId,
        storageDomainId: job.storageDomainId,
        sparsifyMethod: method,
      };
      await this.s.queues.enqueue(JobName.SPARSIFY, data);
    } catch (error) {
      await this.store.finish(job.id, {
        state: JobState.FAILED,
        errorCode: JobErrorCode.QUEUE_UNAVAILABLE,
        errorMessage: "The job queue (Redis) was unreachable; nothing was done",
        actor,
      });
      throw new AppError(
        ErrorCode.QUEUE_UNAVAILABLE,
        `Could not enqueue the job: the job queue is unreachable (${(error as Error).message}); the disk was released`,
      );
    }
    await announced;
    return job;
  }

  /**
   * QUEUED: removed from the queue and CANCELLED at once. RUNNING: the request is recorded and
   * broadcast; the worker running it stops virt-sparsify and ends the job CANCELLED.
   */
  async cancel(idRaw: string, actor: string): Promise<SparsifyJob> {
    const job = await this.get(idRaw);
    if (!ACTIVE_JOB_STATES.includes(job.state as (typeof ACTIVE_JOB_STATES)[number])) {
      throw new AppError(ErrorCode.JOB_FINISHED, `Job ${job.id} already ended ${job.state}`, { state: job.state });
    }
    await this.s.db
      .getRepository(SparsifyJob)
      .update({ id: job.id, state: In([...ACTIVE_JOB_STATES]) }, { cancelRequestedAt: new Date() });
    if (job.state === JobState.QUEUED) {
      const queued = await this.s.queues.get(job.storageDomainId).getJob(job.id);
      const removed = queued
        ? await queued.remove().then(
            () => true,
            () => false,
          )
        : true;
      if (removed) {
        const ended = await this.store.finish(job.id, {
          state: JobState.CANCELLED,
          actor,
          outcomeMessage: "Cancelled before it started",
        });
        if (ended) return ended;
      }
    }
    await this.s.bus.publish({ type: "cancel", jobId: job.id });
    await recordEvent(this.s.db.manager, {
      type: "JOB_CANCEL_REQUESTED",
      actor,
      diskId: job.diskId,
      jobId: job.id,
      message: "Cancel requested while running",
    });
    const fresh = await this.get(job.id);
    await this.store.announce(fresh);
    return fresh;
  }
}
