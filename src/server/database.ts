import pg from "pg";
import type { DataSource } from "typeorm";
import { createDataSource } from "../data-source.js";
import { InfraUnavailableError, isUnreachable } from "./infra-errors.js";

/**
 * Creates the database named in the URL when it does not exist yet, so `npm start` works on a
 * fresh PostgreSQL where only the `postgres` database exists.
 */
async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ""));
  if (!name || name === "postgres") return;
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`).catch((e: { code?: string }) => {
        if (e.code !== "42P04") throw e; // created concurrently by another process
      });
    }
  } finally {
    await client.end();
  }
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

/** Connects, creating the database if needed, and applies pending migrations. */
export async function openDatabase(url: string, options: { runMigrations?: boolean } = {}): Promise<DataSource> {
  try {
    await ensureDatabase(url);
    const dataSource = createDataSource(url);
    await dataSource.initialize();
    if (options.runMigrations ?? true) await migrateExclusively(dataSource);
    return dataSource;
  } catch (error) {
    if (isUnreachable(error)) throw new InfraUnavailableError("PostgreSQL", url, error);
    throw error;
  }
}
