import { Redis } from "ioredis";

/**
 * BullMQ needs `maxRetriesPerRequest: null` on its connections (blocking commands must wait for a
 * reconnect instead of failing), and we want the same on the pub/sub bus so a Redis restart is
 * ridden out rather than crashing the process.
 */
export function createRedis(url: string, name: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    connectionName: name,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
}
