import "reflect-metadata";
import { ConfigError, loadConfig } from "./config.js";
import { startHostWorker } from "./jobs/start-worker.js";
import { createLogger } from "./logger.js";
import { openDatabase } from "./server/database.js";
import { developmentToken } from "./server/dev-token.js";
import { startGateway } from "./server/gateway.js";
import { InfraUnavailableError } from "./server/infra-errors.js";
import { assertRedisReachable } from "./server/redis-check.js";

type Mode = "all" | "gateway" | "worker";

/**
 * Entry point. `all` (npm start) runs the gateway and one local host worker in one process;
 * `gateway` and `worker` run them apart (several workers per host or across hosts).
 */
async function main(mode: Mode): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, mode);
  const db = await openDatabase(config.DATABASE_URL);
  await assertRedisReachable(config.REDIS_URL);
  const gateway = mode === "worker" ? null : await startGateway(config, db, log);
  const worker = mode === "gateway" ? null : await startHostWorker(config, db, log);
  if (gateway) {
    console.log(`Sparsify gateway ready: web UI at http://localhost:${gateway.port}/ and GraphiQL at http://localhost:${gateway.port}/graphql`);
    if (config.NODE_ENV === "development" && !config.AUTH_DISABLED) {
      const dev = await developmentToken(gateway.services.tokens, config.DEV_TOKEN_FILE);
      console.log(`Development admin token (${dev.reused ? "kept" : "new"}, in ${config.DEV_TOKEN_FILE}, valid until ${dev.expiresAt?.toISOString() ?? "revoked"}; GraphiQL headers: {"Authorization": "Bearer …"}):\n${dev.secret}`);
    }
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) process.exit(1); // a second signal forces it
    stopping = true;
    log.info({ signal }, "shutting down");
    // The gateway drains HTTP and closes WebSockets with 1001 (clients reconnect elsewhere).
    await gateway?.close().catch((e) => log.warn({ err: e.message }, "gateway close failed"));
    // The worker takes nothing new and lets running jobs finish within the grace period; past it
    // the process exits, virt-sparsify dies with it (pdeathsig) and BullMQ's stalled-job check
    // hands the job to another worker, which resumes it.
    if (worker) {
      const finished = await Promise.race([
        worker.close(false).then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), config.WORKER_SHUTDOWN_GRACE_MS).unref()),
      ]).catch(() => false);
      log.info({ finished }, finished ? "worker drained" : "worker grace period over: running jobs handed back");
    }
    await db.destroy().catch(() => {});
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

const mode = (process.argv[2] ?? "all") as Mode;
if (!["all", "gateway", "worker"].includes(mode)) {
  console.error(`Unknown mode ${mode}: use all, gateway or worker`);
  process.exit(2);
}
main(mode).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof InfraUnavailableError) {
    console.error(error.message);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  console.error(error);
  process.exit(1);
});
