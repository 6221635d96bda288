import pg from "pg";
import type { DataSource } from "typeorm";
import { createDataSource } from "../data-source.js";
import { InfraUnavailableError, isUnreachable } from "./infra-errors.js";
import { describePostgresError, StartupError } from "./startup-errors.js";

/** The database `npm start` may create on its own: the documented default, `sparsify`. */
export const DEFAULT_DATABASE_NAME = "sparsify";

export const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));

/**
 * Whether the database named in the URL exists. Connects to it directly (so a wrong user or
 * password is reported as such); only "database does not exist" (3D000) answers false.
 */
export async function databaseExists(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "3D000") return false;
    throw startupError(url, error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates the database named in the URL (through the server's `postgres` database). */
export async function createDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`).catch((e: { code?: string }) => {
      if (e.code !== "42P04") throw e; // created concurrently by another process
    });
  } catch (error) {
    throw startupError(url, error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A known connection failure as one line; anything else as it is. */
function startupError(url: string, error: unknown): Error {
  const described = describePostgresError(url, error);
  if (described) return new StartupError(described);
  if (isUnreachable(error)) return new InfraUnavailableError("PostgreSQL", url, error);
  return error as Error;
}

/** Gateway and workers start together: an advisory lock makes the second wait, then find nothing to do. */
async function migrateExclusively(dataSource: DataSource): Promise<void> {
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    await lockHolder.query("SELECT pg_advisory_lock(hashtext('sparsify-gateway:migrations'))");
    await dataSource.runMigrations({ transaction: "all" });
  } finally {
    await lockHolder.query("SELECT pg_advisory_unlock(hashtext('sparsify-gateway:migrations'))").catch(() => {});
    await lockHolder.release();
  }
}

/**
 * Connects and applies pending migrations. The database must exist: the entry points check and,
 * only when allowed, create it first (see `checkDependencies`), so a mistyped DATABASE_URL never
 * makes a new database.
 */
export async function openDatabase(url: string, options: { runMigrations?: boolean } = {}): Promise<DataSource> {
  try {
    const dataSource = createDataSource(url);
    await dataSource.initialize();
    if (options.runMigrations ?? true) await migrateExclusively(dataSource);
    return dataSource;
  } catch (error) {
    throw startupError(url, error);
  }
}
