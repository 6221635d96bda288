import { randomUUID } from "node:crypto";
import { In, type DataSource } from "typeorm";
import type { SparsifyMethod } from "../domain/direct-method.js";
import type { DirectVerifyMode } from "../domain/direct-verify-mode.js";
import { isInside, storagePathProblem, trimTrailingSlashes } from "../domain/storage-path.js";
import { ACTIVE_JOB_STATES, ScanState } from "../entities/enums.js";
import { Disk, DiskAttachment, SparsifyJob, SparsifySchedule, StorageDomain, Volume } from "../entities/index.js";
import { AppError, ErrorCode, notFound } from "../errors.js";
import { JobName, type ScanJobData } from "../jobs/queue/queue-names.js";
import { recordEvent } from "./audit.js";
import type { Services } from "./context.js";
import { refreshDomainAssessments } from "./disk-assessment.service.js";
import { parseId, parseName } from "./ids.js";
import { schedulerId } from "./schedule.service.js";
import { failUnseenScan } from "./scan-watchdog.js";

export class StorageDomainService {
  constructor(private readonly s: Services) {}

  private get db(): DataSource {
    return this.s.db;
  }

  list(): Promise<StorageDomain[]> {
    return this.db.getRepository(StorageDomain).find({ order: { name: "ASC" } });
  }

  async get(id: string): Promise<StorageDomain> {
    const domain = await this.db.getRepository(StorageDomain).findOneBy({ id: parseId(id) });
    if (!domain) throw notFound("Storage domain", id);
    return domain;
  }

  async add(input: { name: string; path: string }, actor: string): Promise<StorageDomain> {
    const name = parseName(input.name);
    input = { ...input, path: trimTrailingSlashes(input.path) };
    const problem = storagePathProblem(input.path, this.s.config.STORAGE_ROOTS);
    if (problem) throw new AppError(ErrorCode.STORAGE_PATH_INVALID, `Storage domain path refused: ${problem}`, { field: "path" });
    const domain = await this.db.transaction(async (em) => {
      const clash = await em.findOne(StorageDomain, { where: [{ name }, { path: input.path }] });
      if (clash) {
        throw new AppError(
          ErrorCode.CONFLICT,
          clash.name === name
            ? `A storage domain named ${name} already exists`
            : `Storage domain ${clash.name} already uses ${input.path}`,
        );
      }
      // Nested domains would list one image twice (two records, two locks): refuse them.
      const nested = (await em.find(StorageDomain, { select: { name: true, path: true } })).find(
        (d) => isInside(input.path, d.path) || isInside(d.path, input.path),
      );
      if (nested) {
        const how = isInside(input.path, nested.path) ? "already contains" : "lies inside";
        throw new AppError(
          ErrorCode.CONFLICT,
          `Storage domain ${nested.name} at ${nested.path} ${how} ${input.path}: an image must belong to one domain only`,
          { field: "path" },
        );
      }
      const created = await em.save(StorageDomain, em.create(StorageDomain, { name, path: input.path }));
      await recordEvent(em, {
        type: "STORAGE_DOMAIN_ADDED",
        actor,
        storageDomainId: created.id,
        message: `Storage domain ${name} added at ${input.path}`,
      });
      return created;
    });
    await this.s.bus.publish({ type: "domains-changed" });
    await this.enqueueScan(domain, "added", actor)
      .then(() => this.watchScan(domain.id))
      .catch(() => {}); // the worker scans on start too
    return this.get(domain.id);
  }

  /** Runs a scan on a host and waits for it up to SCAN_WAIT_MS; returns the domain either way. */
  async scan(id: string, actor: string): Promise<StorageDomain> {
    const domain = await this.get(id);
    const jobId = randomUUID();
    // Wait for this very scan: one already running may have read the files before the change
    // the caller wants to see.
    const finished = this.s.bus.waitFor(
      "scan",
      (m) => m.scanJobId === jobId && (m.state === ScanState.DONE || m.state === ScanState.FAILED),
      this.s.config.SCAN_WAIT_MS,
    );
    await this.s.bus.publish({ type: "domains-changed" }).catch(() => {});
    await this.enqueueScan(domain, "requested", actor, jobId);
    if (!(await finished)) await this.failIfUnseen(domain.id);
    return this.get(domain.id);
  }

  /** After the scan wait, a scan no host took ends FAILED with the reason (not QUEUED forever). */
  private watchScan(id: string): void {
    setTimeout(() => void this.failIfUnseen(id), this.s.config.SCAN_WAIT_MS).unref();
  }

  private async failIfUnseen(id: string): Promise<void> {
    const opts = { hostOfflineAfterMs: this.s.config.HOST_OFFLINE_AFTER_MS, waitedMs: this.s.config.SCAN_WAIT_MS };
    // Best effort: the gateway may be stopping, or the domain gone meanwhile.
    await failUnseenScan(this.db, id, opts).catch(() => false);
  }

  /** Without a jobId, at most one automatic scan waits per domain (deduplicated). */
  async enqueueScan(domain: StorageDomain, reason: string, actor: string, jobId?: string): Promise<void> {
    await this.db
      .getRepository(StorageDomain)
      .update(
        { id: domain.id, scanState: In([ScanState.NEVER, ScanState.DONE, ScanState.FAILED]) },
        { scanState: ScanState.QUEUED },
      );
    const data: ScanJobData = { storageDomainId: domain.id, reason, requestedBy: actor };
    try {
      await this.s.queues.enqueue(JobName.SCAN, data, jobId ? { jobId } : {});
    } catch (error) {
      await this.db
        .getRepository(StorageDomain)
        .update({ id: domain.id }, { scanState: ScanState.FAILED, scanError: "the job queue (Redis) is unreachable" });
      throw new AppError(
        ErrorCode.QUEUE_UNAVAILABLE,
        `Could not enqueue the scan: the job queue is unreachable (${(error as Error).message})`,
      );
    }
  }

  async setActive(id: string, active: boolean, actor: string): Promise<StorageDomain> {
    const domain = await this.get(id);
    await this.db.transaction(async (em) => {
      await em.update(StorageDomain, { id: domain.id }, { active });
      await refreshDomainAssessments(em, domain.id);
      await recordEvent(em, {
        type: active ? "STORAGE_DOMAIN_ACTIVATED" : "STORAGE_DOMAIN_DEACTIVATED",
        actor,
        storageDomainId: domain.id,
        message: `Storage domain ${domain.name} ${active ? "activated" : "deactivated"}`,
      });
    });
    if (active)
      await this.enqueueScan(domain, "activated", actor)
        .then(() => this.watchScan(domain.id))
        .catch(() => {});
    return this.get(domain.id);
  }

  /** Sets how the domain's disks are sparsified (the worker reads it at each job's start); audited. */
  async setSparsifyMethod(
    id: string,
    method: SparsifyMethod,
    verify: DirectVerifyMode | null,
    actor: string,
  ): Promise<StorageDomain> {
    const domain = await this.get(id);
    const next = { sparsifyMethod: method, directVerify: verify ?? domain.directVerify };
    await this.db.transaction(async (em) => {
      await em.update(StorageDomain, { id: domain.id }, next);
      await recordEvent(em, {
        type: "SPARSIFY_METHOD_SET",
        actor,
        storageDomainId: domain.id,
        message:
          `Storage domain ${domain.name} now sparsifies with ${method} ` +
          `(DIRECT verification ${next.directVerify}; was ${domain.sparsifyMethod}, ${domain.directVerify})`,
        data: { method, verify: next.directVerify, previousMethod: domain.sparsifyMethod, previousVerify: domain.directVerify },
      });
    });
    await this.s.bus.publish({ type: "domains-changed" }).catch(() => {});
    return this.get(domain.id);
  }

  /**
   * Forgets the domain, its inventory and its schedule; never touches image files. Refused while
   * jobs run. The domain row lock (FOR UPDATE here, FOR SHARE in sparsifyDisk) orders the two: a
   * job inserted first is counted below, a request after it finds no disk.
   */
  async remove(id: string, actor: string): Promise<boolean> {
    const domain = await this.get(id);
    await this.db.transaction(async (em) => {
      await em.query(`SELECT id FROM storage_domain WHERE id = $1 FOR UPDATE`, [domain.id]);
      const active = await em.countBy(SparsifyJob, { storageDomainId: domain.id, state: In([...ACTIVE_JOB_STATES]) });
      if (active > 0)
        throw new AppError(
          ErrorCode.DOMAIN_BUSY,
          `Storage domain ${domain.name} has ${active} sparsify job(s) queued or running; cancel them or wait`,
        );
      const diskIds = (await em.find(Disk, { select: { id: true }, where: { storageDomainId: domain.id } })).map((d) => d.id);
      if (diskIds.length) await em.delete(DiskAttachment, { diskId: In(diskIds) });
      await em.delete(Volume, { storageDomainId: domain.id });
      await em.delete(Disk, { storageDomainId: domain.id });
      await em.delete(StorageDomain, { id: domain.id });
      // Deleted with the domain, so the reconciler never restores a scheduler for it.
      await em.delete(SparsifySchedule, { storageDomainId: domain.id });
      await recordEvent(em, {
        type: "STORAGE_DOMAIN_REMOVED",
        actor,
        storageDomainId: domain.id,
        message: `Storage domain ${domain.name} removed from the inventory (${diskIds.length} disks; image files untouched)`,
      });
    });
    await this.s.bus.publish({ type: "domains-changed" });
    // Explicitly: a job scheduler left in Redis would fire scheduled runs for a domain that is gone.
    await this.s.queues
      .get(domain.id)
      .removeJobScheduler(schedulerId(domain.id))
      .catch(() => {});
    await this.s.queues.obliterate(domain.id).catch(() => {});
    return true;
  }
}
