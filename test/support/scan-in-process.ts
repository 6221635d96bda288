import type { Job } from "bullmq";
import { pino } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../../src/config.js";
import type { EventBus } from "../../src/jobs/queue/event-bus.js";
import type { ScanJobData } from "../../src/jobs/queue/queue-names.js";
import { processScan } from "../../src/jobs/worker/scan.processor.js";

/**
 * Runs the worker's scan of one storage domain in this process, without a queue: the scan job
 * as BullMQ would hand it over, and a bus that publishes nowhere (nobody listens in these tests).
 */
export async function scanInProcess(db: DataSource, config: Config, storageDomainId: string, jobId = "scan"): Promise<void> {
  const bus = { publish: async () => undefined } as unknown as EventBus;
  const job = { id: jobId, data: { storageDomainId, reason: "test", requestedBy: "test" } } as Job<ScanJobData>;
  await processScan(job, { config, db, bus, log: pino({ level: "silent" }), hostName: "h1" });
}
