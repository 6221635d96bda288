import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import { JobErrorCode } from "../domain/job-error-code.js";
import { assessSparsify } from "../domain/sparsify-blockers.js";
import type { SparsifyIssue } from "../domain/sparsify-issue.js";
import { JobTrigger, SparsifyPhase } from "../domain/sparsify-job-enums.js";
import { DiskStatus, JobState } from "../entities/enums.js";
import { Disk, SparsifyJob } from "../entities/index.js";
import { AppError, badInput, ErrorCode } from "../errors.js";
import { JobName, type SparsifyJobData } from "../jobs/queue/queue-names.js";
import type { DiskQueryFilter } from "../domain/disk-query.js";
import type { Services } from "./context.js";
import { loadDiskFacts } from "./disk-assessment.service.js";
import { applyFilter } from "./disk-query.service.js";
import { isUuid } from "./ids.js";
import type { JobStore } from "./job-store.js";
import { writeRequestedJobs, type RequestedJob } from "./requested-jobs.js";

/** One disk's answer: a job, the reasons it is blocked, or why the id was not usable. */
export interface SparsifyRequestOutcome {
  diskId: string;
  job?: SparsifyJob;
  sparsifyBlockers?: SparsifyIssue[];
  error?: { code: ErrorCode; message: string };
}

export interface BulkSparsifyInput {
  diskIds?: string[] | null;
  filter?: DiskQueryFilter | null;
}

/**
 * sparsifyDisks: many disks in one request. The accepted ones are locked and their jobs created in
 * ONE transaction (the same checks as sparsifyDisk, over facts loaded with a fixed number of
 * statements), then queued with one addBulk per domain; blocked disks are reported, not failed.
 */
export class BulkSparsifyService {
  constructor(
    private readonly s: Services,
    private readonly store: JobStore,
  ) {}

  async request(
    input: BulkSparsifyInput,
    actor: string,
    trigger: JobTrigger = JobTrigger.USER,
  ): Promise<SparsifyRequestOutcome[]> {
    const hasIds = input.diskIds !== undefined && input.diskIds !== null;
    const hasFilter = input.filter !== undefined && input.filter !== null;
    if (hasIds === hasFilter) throw badInput("Give exactly one of diskIds or filter", hasIds ? "filter" : "diskIds");
    const max = this.s.config.BULK_SPARSIFY_MAX_DISKS;
    if (hasIds && input.diskIds!.length > max) throw tooMany(input.diskIds!.length, max);

    const outcomes = new Map<string, SparsifyRequestOutcome>();
    const wanted: string[] = [];
    const key = (raw: string) => (isUuid(raw) ? raw.toLowerCase() : raw);
    for (const raw of new Set((hasIds ? input.diskIds! : []).map(key))) {
      if (isUuid(raw)) wanted.push(raw);
      else
        outcomes.set(raw, {
          diskId: raw,
          error: { code: ErrorCode.BAD_USER_INPUT, message: `${JSON.stringify(raw.slice(0, 80))} is not a disk id` },
        });
    }

    const accepted = await this.s.db.transaction(async (em) => {
      const ids = hasFilter ? await this.matching(em, input.filter!, max) : wanted;
      // Lock order shared with sparsifyDisk and removeStorageDomain: domain rows (shared), then
      // the disks in id order, so two bulk requests cannot deadlock each other.
      const disks = ids.length ? await this.lock(em, ids) : [];
      const found = new Set(disks.map((d) => d.id));
      for (const id of ids)
        if (!found.has(id))
          outcomes.set(id, { diskId: id, error: { code: ErrorCode.NOT_FOUND, message: `Disk ${id} does not exist` } });
      const facts = await loadDiskFacts(em, disks);
      const now = new Date();
      const jobs: SparsifyJob[] = [];
      const requested: RequestedJob[] = [];
      for (const disk of disks) {
        const f = facts.get(disk.id)!;
        const { blockers } = assessSparsify(f);
        if (blockers.length) {
          outcomes.set(disk.id, { diskId: disk.id, sparsifyBlockers: blockers });
          continue;
        }
        // Every column the API shows, as the INSERT below leaves it (the rest are the table's defaults).
        const job = em.create(SparsifyJob, {
          ...{
            id: randomUUID(),
            diskId: disk.id,
            storageDomainId: disk.storageDomainId,
            requestedBy: actor,
            trigger,
            actualSizeBefore: disk.actualSize,
            createdAt: now,
          },
          ...{ state: JobState.QUEUED, phase: SparsifyPhase.QUEUED, progress: 0, attempts: 0 },
        });
        jobs.push(job);
        const locked = assessSparsify({ ...f, status: DiskStatus.LOCKED, activeJob: { id: job.id, state: JobState.QUEUED } });
        // The message names how many others came along: filled in once they are all known.
        requested.push({
          job,
          locked: { sparsifiable: false, blockers: locked.blockers, warnings: locked.warnings },
          message: `Sparsify of ${disk.alias} requested`,
        });
      }
      // One statement whatever the count (an ORM insert of 1,000 entities measured ~0.5 s here).
      for (const r of requested) r.message += ` (with ${requested.length - 1} other disk(s))`;
      await writeRequestedJobs(em, requested, actor);
      return jobs;
    });

    await this.enqueue(accepted, actor);
    for (const job of accepted) outcomes.set(job.diskId, { diskId: job.diskId, job });
    if (!hasIds) return [...outcomes.values()];
    return [...new Set(input.diskIds!.map(key))].map((id) => outcomes.get(id)!);
  }

  /** Disk ids matching the filter, by alias; TOO_MANY_DISKS past the cap (nothing is locked). */
  private async matching(em: EntityManager, filter: DiskQueryFilter, max: number): Promise<string[]> {
    const rows = await applyFilter(em.getRepository(Disk).createQueryBuilder("d"), filter)
      .select("d.id", "id")
      .orderBy("d.alias")
      .addOrderBy("d.id")
      .limit(max + 1)
      .getRawMany<{ id: string }>();
    if (rows.length > max) {
      const total = await applyFilter(em.getRepository(Disk).createQueryBuilder("d"), filter).getCount();
      throw tooMany(total, max);
    }
    return rows.map((r) => r.id);
  }

  private async lock(em: EntityManager, ids: string[]): Promise<Disk[]> {
    await em.query(
      `SELECT sd.id FROM storage_domain sd WHERE sd.id IN (SELECT DISTINCT "storageDomainId" FROM disk ` +
        "WHERE id = ANY($1::uuid[])) ORDER BY sd.id FOR SHARE",
      [ids],
    );
    return em
      .getRepository(Disk)
      .createQueryBuilder("d")
      .where("d.id = ANY(:ids::uuid[])", { ids })
      .orderBy("d.id")
      .setLock("pessimistic_write")
      .getMany();
  }

  /** Queues per domain; a domain whose queue is unreachable gets its jobs FAILED and disks released. */
  private async enqueue(jobs: SparsifyJob[], actor: string): Promise<void> {
    const byDomain = new Map<string, SparsifyJob[]>();
    for (const job of jobs) {
      const list = byDomain.get(job.storageDomainId);
      if (list) list.push(job);
      else byDomain.set(job.storageDomainId, [job]);
    }
    for (const list of byDomain.values()) {
      const data: SparsifyJobData[] = list.map((j) => ({ jobId: j.id, diskId: j.diskId, storageDomainId: j.storageDomainId }));
      try {
        await this.s.queues.enqueueBulk(JobName.SPARSIFY, data);
      } catch {
        for (const job of list) {
          const ended = await this.store.finish(job.id, {
            state: JobState.FAILED,
            errorCode: JobErrorCode.QUEUE_UNAVAILABLE,
            errorMessage: "The job queue (Redis) was unreachable; nothing was done",
            actor,
          });
          if (ended) Object.assign(job, ended);
        }
        continue;
      }
      await this.store.announceMany(list);
    }
  }
}

const tooMany = (count: number, max: number) =>
  new AppError(
    ErrorCode.TOO_MANY_DISKS,
    `${count} disks is more than one request may sparsify (${max}); narrow the filter or split the list`,
    { count, max },
  );
