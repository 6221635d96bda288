import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { pino } from "pino";
import type { DataSource } from "typeorm";
import { loadConfig, type Config } from "../../src/config.js";
import { Role } from "../../src/domain/roles.js";
import { startHostWorker, type RunningWorker } from "../../src/jobs/worker/start-worker.js";
import { openDatabase } from "../../src/server/database.js";
import { startGateway, type Gateway } from "../../src/server/gateway.js";
import { assertRedisReachable } from "../../src/server/redis-check.js";

export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A database of its own per test file, so files run in parallel; dropped at the end. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect().catch((e: Error) => {
    throw new Error(`PostgreSQL is required for this test and is not reachable at ${PG_ADMIN_URL}: ${e.message}`);
  });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface StackOptions {
  /** Start an in-process host worker too (default true). */
  worker?: boolean;
  env?: Record<string, string>;
  /** Rewrites the fresh database's URL (e.g. to go through a TCP proxy). */
  databaseUrlVia?: (url: string) => string;
}

export interface Stack {
  config: Config;
  db: DataSource;
  gateway: Gateway;
  worker: RunningWorker | null;
  /** A storage root of its own, under which the test makes domains. */
  root: string;
  url: string;
  wsUrl: string;
  databaseUrl: string;
  /** Secret of an admin token named "test-admin", sent by gql() unless headers say otherwise. */
  token: string;
  /** Creates another token; returns its secret. */
  tokenFor(role: Role, name?: string, expiresAt?: Date | null): Promise<string>;
  gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ data?: T; errors?: any[]; status: number }>;
  close(): Promise<void>;
}

/** The real gateway (and a real host worker) on a random port, a fresh database, a private queue prefix. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  await assertRedisReachable(opts.env?.REDIS_URL ?? REDIS_URL);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "sparsify-test-"));
  const database = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    BIND_ADDRESS: "127.0.0.1",
    DATABASE_URL: opts.databaseUrlVia ? opts.databaseUrlVia(database.url) : database.url,
    REDIS_URL,
    QUEUE_PREFIX: `t${randomBytes(5).toString("hex")}`,
    STORAGE_ROOTS: root,
    HOST_NAME: `test-host-${randomBytes(3).toString("hex")}`,
    SCAN_WAIT_MS: "20000",
    HEARTBEAT_INTERVAL_MS: "1000",
    HOST_OFFLINE_AFTER_MS: "4000",
    STALLED_INTERVAL_MS: "3000",
    DOMAIN_REFRESH_MS: "2000",
    RECONCILE_INTERVAL_MS: "2000",
    SPARSIFY_KILL_GRACE_MS: "15000",
    WORKER_CONCURRENCY: "2",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    // No hypervisor unless a test asks: the libvirt tests kill libvirtd, which must not disturb others.
    LIBVIRT_URI: "none",
    // Tests hammer the API; the rate-limit test sets its own limits.
    RATE_LIMIT_QUERIES_PER_SECOND: "100000",
    RATE_LIMIT_MUTATIONS_PER_MINUTE: "100000",
    RATE_LIMIT_SUBSCRIPTIONS_PER_SECOND: "100000",
    // Every test client is 127.0.0.1: one address for all the bad tokens the suites send.
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: "100000",
    ...opts.env,
  });
  const log = pino({ level: config.LOG_LEVEL });
  const db = await openDatabase(config.DATABASE_URL);
  const gateway = await startGateway(config, db, log);
  const worker = opts.worker === false ? null : await startHostWorker(config, db, log);
  const url = gateway.url;
  const tokenFor = async (role: Role, name = `test-${role}-${randomBytes(3).toString("hex")}`, expiresAt: Date | null = null) =>
    (await gateway.services.tokens.create({ name, role, expiresAt }, "test")).secret;
  const token = await tokenFor(Role.ADMIN, "test-admin");
  return {
    token,
    tokenFor,
    config,
    db,
    gateway,
    worker,
    root,
    url,
    wsUrl: url.replace(/^http/, "ws"),
    databaseUrl: database.url,
    async gql(query, variables, headers) {
      const all: Record<string, string> = { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers };
      if (!all.authorization) delete all.authorization; // pass { authorization: "" } to send none
      const res = await fetch(url, { method: "POST", headers: all, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: any; errors?: any[] };
      return { ...body, status: res.status };
    },
    async close() {
      await worker?.close(true).catch(() => {});
      await gateway.close().catch(() => {});
      await db.destroy().catch(() => {});
      await database.drop().catch(() => {});
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

/** Fails with the GraphQL errors when there are any; returns data. */
export function ok<T>(result: { data?: T; errors?: any[] }): T {
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors, null, 2)}`);
  return result.data as T;
}

/** The extensions.code of the first error. */
export const codeOf = (result: { errors?: any[] }) => result.errors?.[0]?.extensions?.code as string | undefined;
