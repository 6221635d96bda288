import net from "node:net";
import { createRedis } from "../jobs/queue/redis.js";
import { parseRedisUrl, type SentinelAddress } from "../redis-url.js";
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
    // ioredis reports an unreachable sentinel only as "Connection is closed.": ask the socket why.
    const target = parseRedisUrl(url);
    if (target.kind === "sentinel" && /All sentinels are unreachable/.test(String((cause as Error)?.message))) {
      sentinelErrors.push(...(await Promise.all(target.sentinels.map((s) => socketProblem(s, timeoutMs)))).filter(Boolean));
    }
    const described = describeRedisError(url, cause, sentinelErrors);
    throw described ? new StartupError(described) : new InfraUnavailableError("Redis", url, cause);
  } finally {
    probe.disconnect();
  }
}

/** Why a TCP connection to a sentinel fails (its errno error), or null when it connects. */
function socketProblem(address: SentinelAddress, timeoutMs: number): Promise<Error | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address.host, port: address.port, timeout: timeoutMs });
    socket.once("connect", () => (socket.destroy(), resolve(null)));
    socket.once("timeout", () => (socket.destroy(), resolve(Object.assign(new Error("connect timeout"), { code: "ETIMEDOUT" }))));
    socket.once("error", (error) => resolve(error));
  });
}
