import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { domainQueueName } from "./queue-names.js";

/** The gateway's producer side: one lazily created Queue per storage domain. */
export class QueueRegistry {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  get(storageDomainId: string): Queue {
    let queue = this.queues.get(storageDomainId);
    if (!queue) {
      queue = new Queue(domainQueueName(storageDomainId), { connection: this.connection, prefix: this.prefix });
      // Connection trouble is reported where it matters (the call that fails); do not crash.
      queue.on("error", () => {});
      this.queues.set(storageDomainId, queue);
    }
    return queue;
  }

  /** Removes a domain's queue and all its keys (after the domain is removed). */
  async obliterate(storageDomainId: string): Promise<void> {
    const queue = this.get(storageDomainId);
    await queue.obliterate({ force: true });
    await queue.close();
    this.queues.delete(storageDomainId);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
