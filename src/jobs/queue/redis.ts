import { Redis, type RedisOptions } from "ioredis";
import { parseRedisUrl, type RedisTarget } from "../../redis-url.js";

/**
 * ioredis options for a REDIS_URL target. For a Sentinel group ioredis asks the sentinels where
 * the primary is on every (re)connect, checks that what it reached is a primary, and listens for
 * `+switch-master` (failoverDetector) so a promotion is followed at once, not at the next error.
 */
export function redisOptions(target: RedisTarget): RedisOptions {
  if (target.kind === "server") return {};
  return {
    sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
    name: target.masterName,
    username: target.username,
    password: target.password,
    sentinelUsername: target.sentinelUsername,
    sentinelPassword: target.sentinelPassword,
    failoverDetector: true,
    // A primary demoted under us (SENTINEL FAILOVER, or a partition healing) answers writes with
    // READONLY: reconnect through the sentinels and resend the command to the new primary.
    reconnectOnError: (error) => (error.message.startsWith("READONLY") ? 2 : false),
  };
}

/**
 * The one way the service opens a long-lived Redis connection (gateway, worker, BullMQ, event
 * bus, benches). BullMQ needs `maxRetriesPerRequest: null` on its connections (blocking commands
 * must wait for a reconnect instead of failing), and we want the same on the pub/sub bus so a
 * Redis restart or a Sentinel failover is ridden out rather than crashing the process.
 */
export function createRedis(url: string, name: string, extra: RedisOptions = {}): Redis {
  const target = parseRedisUrl(url);
  const options: RedisOptions = {
    ...redisOptions(target),
    maxRetriesPerRequest: null,
    connectionName: name,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...extra,
  };
  return target.kind === "server" ? new Redis(target.url, options) : new Redis(options);
}
