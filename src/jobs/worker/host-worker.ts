import { DelayedError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../../config.js";
import { StorageDomain } from "../../entities/index.js";
import { checkVisibility } from "../../host/domain-visibility.js";
import { sweepDeadSockdirs } from "../../host/libguestfs-sockdirs.js";
import { refreshDomainAssessments } from "../../services/disk-assessment.service.js";
import { releaseGoneSurvivors } from "../../services/run-survivors.service.js";
import type { EventBus } from "../queue/event-bus.js";
import { heartbeat, registerHost, type HostFacts } from "./host-registration.js";
import { processEstimate } from "./estimate.processor.js";
import type { HostSlots } from "./host-slots.js";
import type { RunBudget } from "./run-budget.js";
import { SparsifyMethod } from "../../domain/direct-method.js";
import { Lane, laneQueueName, type EstimateJobData, type JobDataByName } from "../queue/job-catalog.js";
import { LibvirtLink } from "./libvirt-link.js";
import type { QueueRegistry } from "../queue/queue-registry.js";
import { JobName, type ScanJobData } from "../queue/queue-names.js";
import { processScheduledRun } from "./scheduled-run.processor.js";
import { processScan, SCAN_DEFERRED } from "./scan.processor.js";
import { HAND_BACK_REASON, isHandedBack } from "./hand-back.js";
import { planFence, type FencePlan } from "../../domain/fence-timing.js";
import { RUN_STOP_BUDGET_MS } from "../../host/virt-sparsify-runner.js";
import { RunLease } from "./run-lease.js";

export interface HostWorkerDeps {
  config: Config;
  db: DataSource;
  bus: EventBus;
  /** Connection BullMQ workers duplicate for their blocking reads. */
  connection: Redis;
  log: Logger;
  facts: HostFacts;
  /** Producer side, for the jobs this host enqueues itself (scans, estimates, scheduled jobs). */
  queues: QueueRegistry;
  /**
   * Runs a sparsify job under the given budget; resolves when the job reached a terminal state, was
   * handed back, or was fenced (`fence` aborted: the run stopped and wrote nothing more).
   */
  sparsify: (job: Job, signal: AbortSignal | undefined, fence: AbortSignal, budget: RunBudget) => Promise<unknown>;
  /** The host's budget of concurrent virt-sparsify runs (all domains, all worker processes). */
  slots: HostSlots;
  /** The host's budget of concurrent DIRECT runs; without it DIRECT runs take appliance slots. */
  directSlots?: HostSlots;
}

type Handler<K extends JobName> = (
  job: Job<JobDataByName[K]>,
  token: string | undefined,
  signal: AbortSignal | undefined,
) => Promise<unknown>;

/**
 * A host worker: registers its host, keeps a BullMQ Worker on the queue of every storage domain
 * it can see, heartbeats, and follows domain changes and cancel requests from the bus.
 */
export class HostWorker {
  /** Per visible storage domain, one BullMQ Worker per lane. */
  private readonly workers = new Map<string, Worker[]>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly offs: (() => void)[] = [];
  private maintenance = false;
  private refreshing: Promise<void> = Promise.resolve();
  private stopped = false;
  private libvirt: LibvirtLink | null = null;
  /** Lock duration and fence time of this worker's jobs (domain/fence-timing.ts). */
  readonly fence: FencePlan;

  constructor(private readonly d: HostWorkerDeps) {
    this.fence = planFence({ stalledIntervalMs: d.config.STALLED_INTERVAL_MS, stopBudgetMs: RUN_STOP_BUDGET_MS });
  }

  get name(): string {
    return this.d.facts.name;
  }

  async start(): Promise<void> {
    // Socket dirs a SIGKILLed predecessor's runs left in /tmp (their owners are provably dead).
    const swept = await sweepDeadSockdirs().catch(() => []);
    if (swept.length) this.d.log.info({ swept }, "removed libguestfs socket dirs left by dead runs");
    await registerHost(this.d.db, this.d.facts);
    this.offs.push(this.d.bus.on("domains-changed", () => void this.refreshDomains()));
    this.offs.push(this.d.bus.on("cancel", (m) => this.cancelLocal(m.jobId)));
    this.offs.push(this.d.bus.on("hosts-changed", () => void this.beat()));
    await this.refreshDomains({ scanAll: true });
    this.timers.push(setInterval(() => void this.refreshDomains(), this.d.config.DOMAIN_REFRESH_MS).unref());
    this.timers.push(setInterval(() => void this.beat(), this.d.config.HEARTBEAT_INTERVAL_MS).unref());
    await this.beat();
    // After the domains are known, so disk sources map to volumes from the first resync on.
    this.libvirt = new LibvirtLink(this.d.config, this.d.db, this.name, this.d.log);
    await this.libvirt.start();
  }

  /** Ids of the domains whose queues this host consumes. */
  domainIds(): string[] {
    return [...this.workers.keys()];
  }

  private async beat(): Promise<void> {
    try {
      const host = await heartbeat(this.d.db, this.name, this.domainIds());
      if (host && host.maintenance !== this.maintenance) await this.setMaintenance(host.maintenance);
    } catch (error) {
      this.d.log.warn({ err: (error as Error).message }, "heartbeat failed");
    }
  }

  /** Maintenance drains the host: running jobs finish, nothing new is taken. */
  private async setMaintenance(on: boolean): Promise<void> {
    this.maintenance = on;
    this.d.log.info({ maintenance: on }, "host maintenance changed");
    await Promise.all(this.allWorkers().map((w) => (on ? w.pause(true) : Promise.resolve(w.resume()))));
  }

  /** Serialised: overlapping refreshes would start two Workers for one domain. */
  refreshDomains(opts: { scanAll?: boolean } = {}): Promise<void> {
    this.refreshing = this.refreshing
      .then(() => this.doRefresh(opts))
      .catch((error) => {
        this.d.log.warn({ err: (error as Error).message }, "domain refresh failed");
      });
    return this.refreshing;
  }

  private async doRefresh({ scanAll = false }: { scanAll?: boolean }): Promise<void> {
    if (this.stopped) return;
    const domains = await this.d.db.getRepository(StorageDomain).find({ order: { name: "ASC" } });
    const { STORAGE_ROOTS, STORAGE_CHECK_TIMEOUT_MS } = this.d.config;
    const { visible, unreachable } = await checkVisibility(domains, STORAGE_ROOTS, this.name, STORAGE_CHECK_TIMEOUT_MS);
    const visibleIds = new Set(visible.map((d) => d.id));
    for (const [id, workers] of this.workers) {
      if (!visibleIds.has(id)) {
        this.workers.delete(id);
        await Promise.all(workers.map((w) => w.close()));
      }
    }
    for (const domain of visible) {
      if (domain.inaccessibleReason) await this.setReachability(domain, null);
      if (!this.workers.has(domain.id)) {
        this.workers.set(domain.id, [this.createWorker(domain.id, Lane.SPARSIFY), this.createWorker(domain.id, Lane.OPS)]);
        if (scanAll || domain.lastScannedAt === null) await this.enqueueScan(domain.id, scanAll ? "worker-start" : "domain-seen");
      }
    }
    for (const { domain, reason } of unreachable) {
      if (domain.inaccessibleReason !== reason && !(await this.seenByAnotherHost(domain.id)))
        await this.setReachability(domain, reason);
    }
    await heartbeat(this.d.db, this.name, this.domainIds());
    // Disks blocked by processes of ended runs on this host (RUN_STILL_ALIVE): free them once gone.
    const released = await releaseGoneSurvivors(this.d.db, this.name);
    if (released.length) this.d.log.info({ diskIds: released }, "processes of ended runs are gone: disks released");
  }

  private async seenByAnotherHost(domainId: string): Promise<boolean> {
    const rows = await this.d.db.query(
      `SELECT 1 FROM host WHERE name <> $1 AND $2 = ANY("storageDomainIds") AND "heartbeatAt" > now() ` +
        "- ($3 || ' milliseconds')::interval LIMIT 1",
      [this.name, domainId, String(this.d.config.HOST_OFFLINE_AFTER_MS)],
    );
    return rows.length > 0;
  }

  private async setReachability(domain: StorageDomain, reason: string | null): Promise<void> {
    await this.d.db.transaction(async (em) => {
      await em.update(StorageDomain, { id: domain.id }, { inaccessibleReason: reason });
      await refreshDomainAssessments(em, domain.id);
    });
    this.d.log.info({ domain: domain.name, reason }, reason ? "storage domain inaccessible" : "storage domain reachable");
  }

  private async enqueueScan(storageDomainId: string, reason: string): Promise<void> {
    if (!this.workers.has(storageDomainId)) return;
    const data: ScanJobData = { storageDomainId, reason, requestedBy: `host:${this.name}` };
    await this.d.queues.enqueue(JobName.SCAN, data);
  }

  /** After a scan the estimates are refreshed by a job of their own (one waiting per domain). */
  private async enqueueEstimate(storageDomainId: string, requestedBy: string): Promise<void> {
    const data: EstimateJobData = { storageDomainId, requestedBy };
    await this.d.queues.enqueue(JobName.ESTIMATE, data);
  }

  /** What each job name does on this host; typed by the job catalog, so no casts. */
  private readonly handlers: { [K in JobName]: Handler<K> } = {
    [JobName.SCAN]: async (job, token) => {
      const summary = await processScan(job, { ...this.d, hostName: this.name });
      if (summary === SCAN_DEFERRED) {
        // Another scan of this domain runs: come back later rather than wait on a lock.
        await job.moveToDelayed(Date.now() + this.d.config.SCAN_DEFER_MS, token);
        throw new DelayedError();
      }
      if (summary) await this.enqueueEstimate(job.data.storageDomainId, job.data.requestedBy).catch(() => {});
      // New volumes may be what a libvirt domain's disks point at: map them now.
      this.libvirt?.requestFullSync();
      return summary;
    },
    [JobName.SPARSIFY]: (job, token, signal) => this.runSparsify(job, token, signal),
    [JobName.ESTIMATE]: async (job) => {
      const result = await processEstimate(job.data, { ...this.d, hostName: this.name });
      await this.d.bus
        .publish({ type: "estimate", storageDomainId: job.data.storageDomainId, estimateJobId: job.id! })
        .catch(() => {});
      return result;
    },
    [JobName.SCHEDULED_RUN]: (job) =>
      processScheduledRun(
        job.data,
        { config: this.d.config, db: this.d.db, queues: this.d.queues, bus: this.d.bus },
        this.d.log,
        this.name,
      ),
  };

  /**
   * A sparsify run needs one of the host's slots. When they are all taken the job goes back to
   * the queue for a moment rather than waiting here, so another host that sees the domain may
   * take it meanwhile.
   */
  private async runSparsify(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    // A fetch already in flight when maintenance began can still deliver a job: hand it back.
    if (this.maintenance) {
      await job.moveToDelayed(Date.now() + 5_000, token);
      throw new DelayedError();
    }
    // DIRECT runs take no appliance slot but one of their own budget (the processor asks for an
    // appliance slot if the job runs virt-sparsify after all).
    const direct =
      this.d.directSlots &&
      (
        await this.d.db
          .getRepository(StorageDomain)
          .findOne({ select: { id: true, sparsifyMethod: true }, where: { id: job.data.storageDomainId } })
      )?.sparsifyMethod === SparsifyMethod.DIRECT;
    const budget: RunBudget = direct ? "direct" : "appliance";
    const slot = await (direct ? this.d.directSlots! : this.d.slots).tryAcquire(`${this.name}:${job.id}`);
    if (!slot) {
      await job.moveToDelayed(Date.now() + this.d.config.SLOT_RETRY_MS, token);
      throw new DelayedError();
    }
    let result: unknown;
    const onFence = (why: string) =>
      this.d.log.warn({ jobId: job.id, host: this.name, why }, "sparsify run fenced: its lease lapsed, the run is stopped");
    const lease = new RunLease(job, token!, this.fence, onFence).start();
    try {
      result = await this.d.sparsify(job, signal, lease.signal, budget);
    } finally {
      lease.stop();
      await slot.release();
    }
    // Fenced: another host may own the job now. Give it back if the lock is still ours; else leave it.
    if (lease.signal.aborted) {
      await job.moveToDelayed(Date.now(), token).catch(() => {});
      throw new DelayedError();
    }
    // Handed back (the worker stops): to the queue now, not after a stalled-job check.
    if (isHandedBack(result)) {
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    return result;
  }

  private createWorker(storageDomainId: string, lane: Lane): Worker {
    const worker = new Worker(
      laneQueueName(storageDomainId, lane),
      async (job: Job, token?: string, signal?: AbortSignal) => {
        const handler = this.handlers[job.name as JobName] as Handler<JobName> | undefined;
        if (!handler) throw new Error(`unknown job ${job.name}`);
        return handler(job, token, signal);
      },
      {
        connection: this.d.connection,
        prefix: this.d.config.QUEUE_PREFIX,
        // The sparsify lane fetches up to the host budget; the slots decide what really runs.
        concurrency:
          lane === Lane.SPARSIFY
            ? this.d.facts.concurrency + (this.d.directSlots ? this.d.config.DIRECT_CONCURRENCY : 0)
            : this.d.config.OPS_CONCURRENCY,
        stalledInterval: this.d.config.STALLED_INTERVAL_MS,
        // Long enough for a lapsed lease to stop its run before anyone may take the job over.
        lockDuration: this.fence.lockDurationMs,
        maxStalledCount: 1,
      },
    );
    if (this.maintenance) void worker.pause(true);
    worker.on("error", (error) => this.d.log.warn({ err: error.message, storageDomainId, lane }, "queue worker error"));
    return worker;
  }

  private allWorkers(): Worker[] {
    return [...this.workers.values()].flat();
  }

  /** Cancels a job if this host runs it; the processor sees the abort signal. */
  private cancelLocal(jobId: string): void {
    for (const worker of this.allWorkers()) worker.cancelJob(jobId, "cancelled by request");
  }

  /**
   * Stops the running sparsify jobs at once and puts them back in their queue, to be run again
   * (by another worker, or this host after a restart). Used while {@link stop} drains.
   */
  handBack(): void {
    for (const worker of this.allWorkers()) worker.cancelAllJobs(HAND_BACK_REASON);
  }

  /** Stops taking jobs; waits for running ones unless `force` (then they are handed back). */
  async stop(force = false): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    this.offs.forEach((off) => off());
    await this.libvirt?.stop();
    await this.refreshing;
    await Promise.all(this.allWorkers().map((w) => w.close(force)));
    this.workers.clear();
  }
}
