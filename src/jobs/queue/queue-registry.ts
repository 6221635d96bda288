import { Queue, type Job, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { JOB_CATALOG, Lane, laneQueueName, type JobDataByName } from "./job-catalog.js";
import type { JobName } from "./queue-names.js";

/**
 * The producer side: lazily created queues, one per storage domain and lane (only workers on hosts
 * that see a domain consume its queues, so a job always runs where its image is reachable).
 */
export class QueueRegistry {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  get(storageDomainId: string, lane: Lane = Lane.SPARSIFY): Queue {
    const name = laneQueueName(storageDomainId, lane);
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // Connection trouble is reported where it matters (the call that fails); do not crash.
      queue.on("error", () => {});
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** The queue that carries jobs of `name` for a domain (its catalog lane). */
  queueOf(name: JobName, storageDomainId: string): Queue {
    return this.get(storageDomainId, JOB_CATALOG[name].lane);
  }

  /** Adds a job to its lane with the catalog's options (`extra` wins, e.g. a caller's jobId). */
  enqueue<K extends JobName>(name: K, data: JobDataByName[K], extra: JobsOptions = {}): Promise<Job> {
    const entry = JOB_CATALOG[name];
    const options = { ...entry.options(data), ...extra };
    // A caller's own jobId replaces the catalog's deduplication: it waits for that very job.
    if (extra.jobId) delete options.deduplication;
    return this.get(data.storageDomainId, entry.lane).add(name, data, options);
  }

  /** Adds many jobs of one name in one round trip per queue (BullMQ addBulk). */
  async enqueueBulk<K extends JobName>(name: K, items: JobDataByName[K][]): Promise<void> {
    const entry = JOB_CATALOG[name];
    const byQueue = new Map<string, JobDataByName[K][]>();
    for (const data of items) {
      const list = byQueue.get(data.storageDomainId);
      if (list) list.push(data);
      else byQueue.set(data.storageDomainId, [data]);
    }
    for (const [domainId, list] of byQueue) {
      await this.get(domainId, entry.lane).addBulk(list.map((data) => ({ name, data, opts: entry.options(data) })));
    }
  }

  /** Removes a domain's queues and all their keys (after the domain is removed). */
  async obliterate(storageDomainId: string): Promise<void> {
    for (const lane of Object.values(Lane)) {
      const queue = this.get(storageDomainId, lane);
      await queue.obliterate({ force: true });
      await queue.close();
      this.queues.delete(laneQueueName(storageDomainId, lane));
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
