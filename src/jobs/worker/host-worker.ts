import { DelayedError, type Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../../config.js";
import { StorageDomain } from "../../entities/index.js";
import { checkVisibility } from "../../host/domain-visibility.js";
import { sweepDeadSockdirs } from "../../host/libguestfs-sockdirs.js";
import { sweepOrphanSpools } from "../../services/reading-spool-sweep.js";
import { releaseGoneSurvivors } from "../../services/run-survivors.service.js";
import type { EventBus } from "../queue/event-bus.js";
import { heartbeat, registerHost, type HostFacts } from "./host-registration.js";
import { processEstimate } from "./estimate.processor.js";
import type { HostSlots } from "./host-slots.js";
import { Lane, type EstimateJobData, type JobDataByName } from "../queue/job-catalog.js";
import { LibvirtLink } from "./libvirt-link.js";
import type { ImageClaims } from "./image-claims.js";
import type { QueueRegistry } from "../queue/queue-registry.js";
import { JobName, type ScanJobData } from "../queue/queue-names.js";
import { processScheduledRun } from "./scheduled-run.processor.js";
import { processScan, SCAN_DEFERRED } from "./scan.processor.js";
import { HAND_BACK_REASON } from "./hand-back.js";
import { planFence, type FencePlan } from "../../domain/fence-timing.js";
import { RUN_STOP_BUDGET_MS } from "../../host/virt-sparsify-runner.js";
import { seenByAnotherHost, setReachability } from "./domain-reachability.js";
import { runSparsifyInSlot, type RunSparsify } from "./sparsify-slot-run.js";
import { createLaneWorker } from "./lane-worker.js";

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
  /** Runs a sparsify job (see RunSparsify). */
  sparsify: RunSparsify;
  /** The host's budget of concurrent virt-sparsify runs (all domains, all worker processes). */
  slots: HostSlots;
  /** The host's budget of concurrent DIRECT runs; without it DIRECT runs take appliance slots. */
  directSlots?: HostSlots;
  /** Shared with this process's sparsify runs, which claim their leaves from the estimates. */
  claims?: ImageClaims;
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
  /**
   * The sparsify lane takes nothing until the libvirt link has said what it knows now. Until then
   * the host row holds the last word of a predecessor (UNREACHABLE when Ctrl-C ended its virsh), and a
   * retried job's pre-check would read it as a VM in an unknown state and fail the job.
   */
  private sparsifyHeld = true;
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
    const spools = await sweepOrphanSpools().catch(() => []);
    if (spools.length) this.d.log.info({ spools }, "removed scan spools left by killed workers");
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
    this.sparsifyHeld = false;
    if (!this.maintenance) await Promise.all(this.laneWorkers(Lane.SPARSIFY).map((w) => w.resume()));
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
    const resumable = this.sparsifyHeld ? this.laneWorkers(Lane.OPS) : this.allWorkers();
    await Promise.all(on ? this.allWorkers().map((w) => w.pause(true)) : resumable.map((w) => w.resume()));
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
      if (domain.inaccessibleReason) await setReachability(this.d.db, this.d.log, domain, null);
      if (!this.workers.has(domain.id)) {
        this.workers.set(domain.id, [this.createWorker(domain.id, Lane.SPARSIFY), this.createWorker(domain.id, Lane.OPS)]);
        if (scanAll || domain.lastScannedAt === null) await this.enqueueScan(domain.id, scanAll ? "worker-start" : "domain-seen");
      }
    }
    for (const { domain, reason } of unreachable) {
      if (
        domain.inaccessibleReason !== reason &&
        !(await seenByAnotherHost(this.d.db, this.name, domain.id, this.d.config.HOST_OFFLINE_AFTER_MS))
      )
        await setReachability(this.d.db, this.d.log, domain, reason);
    }
    await heartbeat(this.d.db, this.name, this.domainIds());
    // Disks blocked by processes of ended runs on this host (RUN_STILL_ALIVE): free them once gone.
    const released = await releaseGoneSurvivors(this.d.db, this.name);
    if (released.length) this.d.log.info({ diskIds: released }, "processes of ended runs are gone: disks released");
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
    [JobName.SPARSIFY]: (job, token, signal) =>
      runSparsifyInSlot({ ...this.d, hostName: this.name, fence: this.fence, maintenance: this.maintenance }, job, token, signal),
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

  private createWorker(storageDomainId: string, lane: Lane): Worker {
    return createLaneWorker(this.d, storageDomainId, lane, {
      lockDurationMs: this.fence.lockDurationMs,
      paused: this.maintenance || (lane === Lane.SPARSIFY && this.sparsifyHeld),
      handle: (job, token, signal) => {
        const handler = this.handlers[job.name as JobName] as Handler<JobName> | undefined;
        if (!handler) throw new Error(`unknown job ${job.name}`);
        return handler(job, token, signal);
      },
    });
  }

  private allWorkers(): Worker[] {
    return [...this.workers.values()].flat();
  }

  private laneWorkers(lane: Lane): Worker[] {
    return [...this.workers.values()].map((pair) => pair[lane === Lane.SPARSIFY ? 0 : 1]!);
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
