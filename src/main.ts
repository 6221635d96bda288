import "reflect-metadata";
import type { DataSource } from "typeorm";
import { ConfigError, loadConfig } from "./config.js";
import { Role } from "./domain/roles.js";
import { startHostWorker } from "./jobs/start-worker.js";
import { createLogger } from "./logger.js";
import { openDatabase } from "./server/database.js";
import { startGateway } from "./server/gateway.js";
import { InfraUnavailableError } from "./server/infra-errors.js";
import { assertRedisReachable } from "./server/redis-check.js";
import type { TokenService } from "./services/token.service.js";

type Mode = "all" | "gateway" | "worker";

/** In development, a fresh admin token at each start (the previous one is revoked). */
async function issueDevelopmentToken(tokens: TokenService, db: DataSource): Promise<string> {
  await db.query(`UPDATE api_token SET "revokedAt" = now() WHERE "createdBy" = 'npm-start' AND "revokedAt" IS NULL`);
  const name = `dev-admin-${Date.now().toString(36)}`;
  const { secret } = await tokens.create({ name, role: Role.ADMIN, expiresAt: new Date(Date.now() + 7 * 86_400_000) }, "npm-start");
  return secret;
}

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
      const secret = await issueDevelopmentToken(gateway.services.tokens, db);
      console.log(`Development admin token (valid 7 days; GraphiQL headers: {"Authorization": "Bearer …"}):\n${secret}`);
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
