import { createRedis } from "../src/jobs/queue/redis.js";

/**
 * Deletes every Redis key under `prefix:`. BullMQ's `obliterate` clears one queue, but a stack
 * also leaves per-domain queues and worker metadata under its QUEUE_PREFIX; a bench leaves nothing.
 * @returns how many keys were deleted
 */
export async function deleteKeysUnder(url: string, prefix: string): Promise<number> {
  if (!prefix) throw new Error("deleteKeysUnder needs a non-empty prefix");
  const redis = createRedis(url, "bench-cleanup", { maxRetriesPerRequest: 3 });
  let deleted = 0;
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length) deleted += await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
