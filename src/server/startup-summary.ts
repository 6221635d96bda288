import type { Config } from "../config.js";
import { redact } from "./infra-errors.js";

/**
 * What this process runs against, credentials redacted: the first thing to read when a token
 * "does not work" (wrong database) or jobs never start (wrong Redis or prefix).
 */
export function startupSummary(config: Config, mode: string, envFile: string | null) {
  return {
    mode,
    database: redact(config.DATABASE_URL),
    redis: redact(config.REDIS_URL),
    queuePrefix: config.QUEUE_PREFIX,
    storageRoots: config.STORAGE_ROOTS,
    nodeEnv: config.NODE_ENV,
    envFile: envFile ?? "(none)",
  };
}

/** The same as one human line, for the terminal. */
export function describeStartup(config: Config, mode: string, envFile: string | null): string {
  const s = startupSummary(config, mode, envFile);
  return (
    `Starting ${s.mode} (${s.nodeEnv}): database ${s.database}, Redis ${s.redis} (prefix ` +
    `${s.queuePrefix}), storage roots ${s.storageRoots.join(", ")}, env file ${s.envFile}`
  );
}
