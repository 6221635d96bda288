import { createRedis } from "../jobs/queue/redis.js";
import { InfraUnavailableError } from "./infra-errors.js";
import { describeRedisError, StartupError } from "./startup-errors.js";

/**
 * The long-lived connections retry forever (to ride out restarts and failovers); at start we
 * want the opposite: fail fast with one line when Redis (or every sentinel) is not there at all.
 */
export async function assertRedisReachable(url: string, timeoutMs = 3_000): Promise<void> {
  const probe = createRedis(url, "startup-check", {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
    failoverDetector: false,
    connectTimeout: timeoutMs,
  });
  // ioredis reports the socket's own error here and only "Connection is closed." from connect():
  // keep the first one, it says why. Each sentinel's answer comes as a "sentinelError" event.
  let socketError: unknown;
  const sentinelErrors: unknown[] = [];
  probe.on("error", (e) => (socketError ??= e));
  probe.on("sentinelError", (e) => sentinelErrors.push(e));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const cause = socketError ?? error;
    const described = describeRedisError(url, cause, sentinelErrors);
    throw described ? new StartupError(described) : new InfraUnavailableError("Redis", url, cause);
  } finally {
    probe.disconnect();
  }
}
