import "reflect-metadata";
import { parseArgs } from "node:util";
import type { DataSource } from "typeorm";
import { loadEnvFile } from "./cli/env-file.js";
import { argumentError, exitWithError } from "./cli/fatal.js";
import { ConfigError, loadConfig } from "./config.js";
import { startHostWorker } from "./jobs/worker/start-worker.js";
import { createLogger } from "./logger.js";
import { openDatabase } from "./server/database.js";
import { developmentToken } from "./server/dev-token.js";
import { startGateway } from "./server/gateway.js";
import { redact } from "./server/infra-errors.js";
import { assertPortFree } from "./server/listen.js";
import { checkDependencies } from "./server/preflight.js";
import { startupSummary } from "./server/startup-summary.js";
import { installShutdown } from "./shutdown.js";

type Mode = "all" | "gateway" | "worker";
const MODES: readonly string[] = ["all", "gateway", "worker"];

const USAGE = `Usage: node dist/src/main.js [all|gateway|worker] [--env-file FILE] [--create-db]
       (npm start = all; npm run start:gateway; npm run start:worker)

  all       the gateway (GraphQL, web UI) and a local host worker in one process (default)
  gateway   the GraphQL gateway and web UI only
  worker    a host worker only (runs virt-sparsify on the storage domains this host sees)

Options:
  --env-file FILE  read settings from FILE (default: ./.env when it exists; ENV_FILE also names
                   one). Variables already set in the environment win.
  --create-db      create the database named in DATABASE_URL if it is missing (CREATE_DATABASE=true
                   does the same). Only the default database "sparsify" is created without it.
  -h, --help       show this help

Settings are environment variables: see .env.example and README "Configuration".
First SIGINT/SIGTERM drains (running jobs finish within WORKER_SHUTDOWN_GRACE_MS), a second hands
them back to the queue at once, a third exits.`;

/**
 * Entry point. `all` (npm start) runs the gateway and one local host worker in one process;
 * `gateway` and `worker` run them apart (several workers per host or across hosts).
 */
async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { "env-file": { type: "string" }, "create-db": { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    throw argumentError(error, "node dist/src/main.js");
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return;
  }
  const [given = "all", ...extra] = parsed.positionals;
  if (!MODES.includes(given) || extra.length)
    throw new ConfigError(`Unknown mode ${[given, ...extra].join(" ")}: use all, gateway or worker (see --help)`);
  const mode = given as Mode;
  const envFile = loadEnvFile(parsed.values["env-file"]);
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, mode, config.LOG_FORMAT);
  log.info(startupSummary(config, mode, envFile), "starting");
  // Every dependency is checked before anything changes (no database created, no migration run).
  if (mode !== "worker") await assertPortFree(config.PORT, config.BIND_ADDRESS);
  const { created } = await checkDependencies(config, { createDatabase: parsed.values["create-db"] === true, redis: true });
  if (created) log.info({ database: redact(config.DATABASE_URL) }, "created the database");
  const db = await openDatabase(config.DATABASE_URL);
  const gateway = mode === "worker" ? null : await startGateway(config, db, log);
  const worker = mode === "gateway" ? null : await startHostWorker(config, db, log);
  installShutdown({ log, gateway, worker, db, drainMs: config.WORKER_SHUTDOWN_GRACE_MS });
  if (gateway) {
    console.log(
      `Sparsify gateway ready: web UI at http://localhost:${gateway.port}/ and GraphiQL at http://localhost:${gateway.port}/graphql`,
    );
    if (config.NODE_ENV === "development" && !config.AUTH_DISABLED) {
      const dev = await developmentToken(gateway.services.tokens, config.DEV_TOKEN_FILE);
      console.log(
        `Development admin token (${dev.reused ? "kept" : "new"}, in ${config.DEV_TOKEN_FILE}, valid ` +
          `until ${dev.expiresAt?.toISOString() ?? "revoked"}; GraphiQL headers: {"Authorization": "Bearer ` +
          `…"}):\n${dev.secret}`,
      );
    }
  }
}

main(process.argv.slice(2)).catch(exitWithError);
