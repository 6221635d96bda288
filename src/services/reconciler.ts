import { JobErrorCode } from "../domain/job-error-code.js";
import type { Logger } from "pino";
import { JobState } from "../entities/enums.js";
import { SparsifyJob } from "../entities/index.js";
import { JobName, type SparsifyJobData } from "../jobs/queue/queue-names.js";
import { recordEvent } from "./audit.js";
import type { Services } from "./context.js";
import { refreshAssessments } from "./disk-assessment.service.js";
import { JobStore } from "./job-store.js";
import { markSilentLibvirtHosts } from "./libvirt-silent-hosts.js";
import { markUnvouchedLibvirtVms } from "./libvirt-unknown-vms.js";
import { ScheduleService } from "./schedule.service.js";

export interface ReconcileReport {
  requeued: string[];
  lost: string[];
  unlocked: string[];
}

/**
 * PostgreSQL holds the truth, Redis may forget (restart without persistence, flush). Brings the
 * two back in line; safe to run from every gateway at once (an advisory lock lets one through).
 */
export class Reconciler {
  private readonly store: JobStore;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly s: Services,
    private readonly log: Logger,
    /** A QUEUED job younger than this may still be on its way into Redis. */
    private readonly graceMs = 5_000,
  ) {
    this.store = new JobStore(s.db, s.bus);
  }

  start(intervalMs: number): void {
    const tick = () => void this.run().catch((e) => this.log.warn({ err: (e as Error).message }, "reconcile failed"));
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async run(): Promise<ReconcileReport> {
    const report: ReconcileReport = { requeued: [], lost: [], unlocked: [] };
    const runner = this.s.db.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(hashtext('sparsify-gateway:reconciler')) AS locked`);
      if (!locked) return report;
      try {
        await this.requeueForgotten(report);
        await this.endLost(report);
        await this.releaseOrphanLocks(report);
        const silent = await markSilentLibvirtHosts(this.s.db, this.s.config.HOST_OFFLINE_AFTER_MS);
        if (silent.length) this.log.warn({ hosts: silent }, "libvirt hosts stopped heartbeating: their VMs are UNKNOWN");
        const unvouched = await markUnvouchedLibvirtVms(this.s.db);
        if (unvouched.length) this.log.warn({ vms: unvouched }, "libvirt VMs whose host does not follow libvirt: now UNKNOWN");
        await this.pruneAuditEvents();
        // Job schedulers live in Redis: put back any that a Redis restart without persistence lost.
        await new ScheduleService(this.s).ensureInstalled();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext('sparsify-gateway:reconciler'))`);
      }
    } finally {
      await runner.release();
    }
    if (report.requeued.length + report.lost.length + report.unlocked.length) this.log.info(report, "reconciled");
    return report;
  }

  private async requeueForgotten(report: ReconcileReport): Promise<void> {
    const queued = await this.s.db
      .getRepository(SparsifyJob)
      .createQueryBuilder("j")
      .where("j.state = :s", { s: JobState.QUEUED })
      .andWhere(`j."createdAt" < now() - (:g || ' milliseconds')::interval`, { g: String(this.graceMs) })
      .getMany();
    for (const job of queued) {
      const queue = this.s.queues.get(job.storageDomainId);
      if (await queue.getJob(job.id)) continue;
      const data: SparsifyJobData = { jobId: job.id, diskId: job.diskId, storageDomainId: job.storageDomainId };
      await this.s.queues.enqueue(JobName.SPARSIFY, data);
      await recordEvent(this.s.db.manager, {
        type: "JOB_REQUEUED",
        actor: "reconciler",
        diskId: job.diskId,
        jobId: job.id,
        message: "The job queue had lost this queued job; queued again",
      });
      report.requeued.push(job.id);
    }
  }

  private async endLost(report: ReconcileReport): Promise<void> {
    const stale: SparsifyJob[] = await this.s.db.getRepository(SparsifyJob).query(
      `SELECT j.* FROM sparsify_job j LEFT JOIN host h ON h.name = j.host
        WHERE j.state = 'RUNNING' AND (h.id IS NULL OR h."heartbeatAt" < now() - ($1 || ' milliseconds')::interval)`,
      [String(this.s.config.HOST_OFFLINE_AFTER_MS)],
    );
    for (const job of stale) {
      const carried = await this.s.queues.get(job.storageDomainId).getJob(job.id);
      const state = carried ? await carried.getState() : "missing";
      // waiting/active/delayed: BullMQ's stalled-job recovery hands it to another worker.
      if (["waiting", "active", "delayed", "prioritized", "waiting-children"].includes(state)) continue;
      const ended = await this.store.finish(job.id, {
        state: JobState.FAILED,
        errorCode: JobErrorCode.WORKER_LOST,
        errorMessage:
          `Host ${job.host ?? "?"} stopped heartbeating while running this job and the queue no longer ` +
          "carries it; the disk was released. The image is consistent: virt-sparsify only trims.",
        actor: "reconciler",
      });
      if (ended) report.lost.push(job.id);
    }
  }

  /** Audit retention: events older than AUDIT_RETENTION_DAYS go. */
  private async pruneAuditEvents(): Promise<void> {
    await this.s.db.query(`DELETE FROM event WHERE "createdAt" < now() - ($1 || ' days')::interval`, [
      String(this.s.config.AUDIT_RETENTION_DAYS),
    ]);
  }

  private async releaseOrphanLocks(report: ReconcileReport): Promise<void> {
    const rows: { id: string; alias: string }[] = await this.s.db.query(
      `UPDATE disk d SET status = 'OK' WHERE d.status = 'LOCKED'
          AND NOT EXISTS (SELECT 1 FROM sparsify_job j WHERE j."diskId" = d.id AND j.state IN ('QUEUED', 'RUNNING'))
        RETURNING d.id, d.alias`,
    );
    const released = (rows as unknown as [typeof rows, number])[0] ?? rows;
    if (!Array.isArray(released) || released.length === 0) return;
    await refreshAssessments(
      this.s.db.manager,
      released.map((r) => r.id),
    );
    for (const disk of released) {
      await recordEvent(this.s.db.manager, {
        type: "LOCK_RELEASED",
        actor: "reconciler",
        diskId: disk.id,
        message: `Disk ${disk.alias} was locked with no queued or running job; lock released`,
      });
      report.unlocked.push(disk.id);
    }
  }
}
