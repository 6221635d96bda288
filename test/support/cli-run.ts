import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { execa } from "execa";
import pg from "pg";
import { PG_ADMIN_URL } from "./stack.js";

export const MAIN = path.resolve("dist/src/main.js");
export const TOKEN_CREATE = path.resolve("dist/src/cli/token-create.js");

/** Fails clearly when the build is missing (npm test builds first). */
export function requireBuild(): void {
  for (const file of [MAIN, TOKEN_CREATE])
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` (npm test does it)`);
}

/**
 * Runs a built CLI to its end with exactly `env` (plus PATH), from `cwd`, and returns its output.
 * `ENV_FILE=/dev/null`-style isolation: no developer .env is read unless the test puts one there.
 */
export async function runCli(
  file: string,
  args: string[],
  env: Record<string, string>,
  opts: { cwd?: string; timeoutMs?: number } = {},
) {
  const result = await execa("node", [file, ...args], {
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LOG_LEVEL: "info", ...env },
    cwd: opts.cwd ?? path.resolve("."),
    timeout: opts.timeoutMs ?? 30_000,
  });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr), timedOut: result.timedOut };
}

/** A database name nobody has: the URL points at it, the database does not exist. */
export function missingDatabaseUrl(): { name: string; url: string } {
  const name = `test_missing_${randomBytes(5).toString("hex")}`;
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

export async function databaseExists(name: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    return ((await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount ?? 0) > 0;
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}

/** stderr lines that are not log records (JSON) — what a person reads. */
export const plainLines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("{"));
