import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../../config.js";
import { Lane, laneQueueName } from "../queue/job-catalog.js";
import type { HostFacts } from "./host-registration.js";
import type { HostSlots } from "./host-slots.js";

/** What a lane's BullMQ Worker takes from its host worker. */
export interface LaneWorkerDeps {
  config: Config;
  connection: Redis;
  log: Logger;
  facts: HostFacts;
  directSlots?: HostSlots | undefined;
}

export interface LaneWorkerOptions {
  /** Long enough for a lapsed lease to stop its run (domain/fence-timing.ts). */
  lockDurationMs: number;
  /** The host is in maintenance: the worker starts paused. */
  paused: boolean;
  handle: (job: Job, token: string | undefined, signal: AbortSignal | undefined) => Promise<unknown>;
}

/** The BullMQ Worker consuming one lane of one storage domain's queue on this host. */
export function createLaneWorker(d: LaneWorkerDeps, storageDomainId: string, lane: Lane, opts: LaneWorkerOptions): Worker {
  const worker = new Worker(
    laneQueueName(storageDomainId, lane),
    async (job: Job, token?: string, signal?: AbortSignal) => opts.handle(job, token, signal),
    {
      connection: d.connection,
      prefix: d.config.QUEUE_PREFIX,
      // The sparsify lane fetches up to the host budget; the slots decide what really runs.
      concurrency:
        lane === Lane.SPARSIFY
          ? d.facts.concurrency + (d.directSlots ? d.config.DIRECT_CONCURRENCY : 0)
          : d.config.OPS_CONCURRENCY,
      stalledInterval: d.config.STALLED_INTERVAL_MS,
      // Long enough for a lapsed lease to stop its run before anyone may take the job over.
      lockDuration: opts.lockDurationMs,
      maxStalledCount: 1,
    },
  );
  if (opts.paused) void worker.pause(true);
  worker.on("error", (error) => d.log.warn({ err: error.message, storageDomainId, lane }, "queue worker error"));
  return worker;
}
