import { Queue } from "bullmq";
import { createRedis } from "../../src/jobs/queue/redis.js";
import { Lane, laneQueueName } from "../../src/jobs/queue/job-catalog.js";
import type { Stack } from "./stack.js";
import { waitFor } from "./wait-for.js";

/**
 * Waits until a domain's ops lane (scans, estimates, scheduled ticks) has nothing waiting, delayed
 * or running, seen idle on three checks in a row: a finished scan queues an estimate, and the
 * worker's own scan of a new domain may come back after a deferral, so one idle look is not enough.
 */
export async function waitForOpsIdle(stack: Stack, storageDomainId: string, timeout = 120_000): Promise<void> {
  const connection = createRedis(stack.config.REDIS_URL, "test-queue-idle");
  const queue = new Queue(laneQueueName(storageDomainId, Lane.OPS), { connection, prefix: stack.config.QUEUE_PREFIX });
  let idleLooks = 0;
  try {
    await waitFor(
      async () => {
        const counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children");
        idleLooks = Object.values(counts).every((n) => n === 0) ? idleLooks + 1 : 0;
        return idleLooks >= 3 || null;
      },
      { timeout, interval: 300, what: "the domain's scans and estimates to end" },
    );
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
