import fs from "node:fs";
import path from "node:path";
import { ConfigError } from "../config.js";

/**
 * Loads settings from an env file into process.env before the configuration is read, the same
 * way for every command (npm start, start:gateway, start:worker, token:create). Variables
 * already in the environment win over the file. The file is `--env-file FILE`, else `ENV_FILE`,
 * else `./.env` when it exists.
 * @returns the absolute path of the file read, or null when none was
 * @throws {ConfigError} when a file that was named explicitly does not exist
 */
export function loadEnvFile(explicit?: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const named = explicit ?? (env.ENV_FILE || undefined);
  const file = path.resolve(named ?? ".env");
  if (!fs.existsSync(file)) {
    if (named)
      throw new ConfigError(
        `Env file ${file} does not exist (from ${explicit ? "--env-file" : "ENV_FILE"}); create it from .env.example or drop the option`,
      );
    return null;
  }
  process.loadEnvFile(file);
  return file;
}
