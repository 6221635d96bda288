import type { Config } from "../config.js";
import { redact } from "./infra-errors.js";
import { createDatabase, databaseExists, databaseName, DEFAULT_DATABASE_NAME } from "./database.js";
import { assertRedisReachable } from "./redis-check.js";
import { StartupError } from "./startup-errors.js";

export interface PreflightOptions {
  /** Create the database when it is missing, whatever its name (`--create-db`). */
  createDatabase: boolean;
  /** Whether this command uses Redis (token:create does not). */
  redis: boolean;
}

/**
 * Checks every dependency before anything is changed: PostgreSQL reachable with these
 * credentials and the database there, Redis reachable. Only then, and only for the documented
 * default database or when asked, is a missing database created. Returns whether it was.
 * @throws {StartupError} or InfraUnavailableError, one line each
 */
export async function checkDependencies(config: Config, opts: PreflightOptions): Promise<{ created: boolean }> {
  const exists = await databaseExists(config.DATABASE_URL);
  const name = databaseName(config.DATABASE_URL);
  const mayCreate = opts.createDatabase || config.CREATE_DATABASE || name === DEFAULT_DATABASE_NAME;
  if (!exists && !mayCreate) {
    throw new StartupError(
      `PostgreSQL has no database "${name}" (DATABASE_URL=${redact(config.DATABASE_URL)}). Fix: check ` +
        "DATABASE_URL for a typo; to create it, start with --create-db (or CREATE_DATABASE=true).",
    );
  }
  if (opts.redis) await assertRedisReachable(config.REDIS_URL);
  if (!exists) await createDatabase(config.DATABASE_URL);
  return { created: !exists };
}
