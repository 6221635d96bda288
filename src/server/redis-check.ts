import { Redis } from "ioredis";
import { InfraUnavailableError } from "./infra-errors.js";
import { describeRedisError, StartupError } from "./startup-errors.js";

/**
 * The long-lived connections retry forever (to ride out restarts); at start we want the opposite:
 * fail fast with one line when Redis is not there at all.
 */
export async function assertRedisReachable(url: string, timeoutMs = 3_000): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  // ioredis reports the socket's own error here and only "Connection is closed." from connect():
  // keep the first one, it says why.
  let socketError: unknown;
  probe.on("error", (e) => (socketError ??= e));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const cause = socketError ?? error;
    const described = describeRedisError(url, cause);
    throw described ? new StartupError(described) : new InfraUnavailableError("Redis", url, cause);
  } finally {
    probe.disconnect();
  }
}
