import { Redis } from "ioredis";
import { InfraUnavailableError } from "./infra-errors.js";

/**
 * The long-lived connections retry forever (to ride out restarts); at start we want the opposite:
 * fail fast with one line when Redis is not there at all.
 */
export async function assertRedisReachable(url: string, timeoutMs = 3_000): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new InfraUnavailableError("Redis", url, error);
  } finally {
    probe.disconnect();
  }
}
