import { readFileSync, statSync } from "node:fs";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  databaseExists,
  dropDatabase,
  MAIN,
  missingDatabaseUrl,
  plainLines,
  requireBuild,
  runCli,
  TOKEN_CREATE,
} from "../support/cli-run.js";
import { freePort } from "../support/redis-server.js";
import { createTestDatabase, REDIS_URL } from "../support/stack.js";

/**
 * What an operator meets at start, with the real binaries, PostgreSQL and Redis: settings from a
 * .env file, one line per failure (cause and fix), nothing created or migrated before every
 * dependency answered, no database but the default one created unless asked.
 */
describe("start-up checks and messages", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  const base = () => ({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    REDIS_URL,
    QUEUE_PREFIX: `sc${process.pid}`,
    STORAGE_ROOTS: dir,
    PORT: "0",
    BIND_ADDRESS: "127.0.0.1",
  });

  const tables = async (url: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`);
    await c.end();
    return rows[0].n as number;
  };

  /** Exactly one line for the person, with these fragments in it. */
  const expectOneLine = (stderr: string, ...fragments: (string | RegExp)[]) => {
    const lines = plainLines(stderr);
    expect(lines, stderr).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    for (const f of fragments) expect(lines[0]).toMatch(f);
    return lines[0]!;
  };

  beforeAll(async () => {
    requireBuild();
    database = await createTestDatabase();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "startup-checks-"));
  });

  afterAll(async () => {
    await database?.drop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("every CLI has --help: usage on stdout, exit 0, no stack, no side effects", async () => {
    // Every entry point: each src file that reads its arguments, built, plus the package's bin.
    const readsArgs = (await fs.readdir("src", { recursive: true }))
      .filter((f) => f.endsWith(".ts"))
      .filter((f) => /process\.argv|parseArgs\(/.test(readFileSync(path.join("src", f), "utf8")));
    const built = readsArgs.map((f) => path.resolve("dist/src", f.replace(/\.ts$/, ".js")));
    expect(built).toEqual(expect.arrayContaining([MAIN, TOKEN_CREATE, path.resolve("dist/src/cli/emit-schema.js")]));
    expect(built).toContain(path.resolve("dist/src/cli/libvirt-hook.js"));
    const bin = JSON.parse(readFileSync("package.json", "utf8")).bin as Record<string, string>;
    const clis = [...built, ...Object.values(bin).map((f) => path.resolve(f))];
    const schemaBefore = statSync("schema.graphql").mtimeMs;
    const empty = await fs.mkdtemp(path.join(dir, "help-"));
    for (const file of clis) {
      // From an empty directory: a CLI that ignored --help and wrote or waited would show here (timeout, new files).
      const r = await runCli(file, ["--help"], {}, { cwd: empty, timeoutMs: 15_000 });
      expect(r.timedOut, `${file} --help`).toBe(false);
      expect(r.exitCode, `${file}: ${r.stderr}`).toBe(0);
      expect(r.stdout, file).toMatch(/^Usage:/m);
      expect(r.stderr, file).toBe("");
      expect(await fs.readdir(empty), `${file} --help left files`).toEqual([]);
    }
    for (const file of [MAIN, TOKEN_CREATE]) expect((await runCli(file, ["--help"], {})).stdout).toMatch(/--env-file/);
    expect(statSync("schema.graphql").mtimeMs).toBe(schemaBefore);
    const bad = await runCli(TOKEN_CREATE, ["--bogus"], {});
    expect(bad.exitCode).toBe(2);
    expectOneLine(bad.stderr, /--bogus/, /--help/);

    // The package's bin entry, the way the README runs it.
    const npx = await execa("npx", ["--no-install", "sparsifyctl", "--help"], {
      reject: false,
      stdin: "ignore",
      timeout: 60_000,
    });
    expect(npx.exitCode, npx.stderr).toBe(0);
    expect(npx.stdout).toMatch(/^Usage:/m);
  });

  it("token:create reads ./.env, says which database it wrote to; the environment wins over the file", async () => {
    await fs.writeFile(
      path.join(dir, ".env"),
      `# settings for every command\nDATABASE_URL=${database.url}\nREDIS_URL=${REDIS_URL}\n`,
    );
    const r = await runCli(TOKEN_CREATE, ["--role", "viewer", "--name", "from-dotenv"], {}, { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`in database ${database.url}`);
    expect(r.stdout.trim()).toMatch(/^spg_/);
    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    const { rows } = await c.query(`SELECT name FROM api_token WHERE name = 'from-dotenv'`);
    await c.end();
    expect(rows).toHaveLength(1);

    // A variable set in the environment is not replaced by the file's.
    const missing = missingDatabaseUrl();
    const env = await runCli(TOKEN_CREATE, ["--role", "viewer"], { DATABASE_URL: missing.url }, { cwd: dir });
    expect(env.exitCode).toBe(1);
    expectOneLine(env.stderr, missing.name);
    await fs.rm(path.join(dir, ".env"));

    // --env-file names the file; one that does not exist is one line.
    await fs.writeFile(path.join(dir, "prod.env"), `DATABASE_URL=${database.url}\n`);
    const named = await runCli(TOKEN_CREATE, ["--role", "viewer", "--env-file", path.join(dir, "prod.env")], {});
    expect(named.exitCode, named.stderr).toBe(0);
    expect(named.stderr).toContain(`in database ${database.url}`);
    const absent = await runCli(TOKEN_CREATE, ["--role", "viewer", "--env-file", path.join(dir, "nope.env")], {});
    // (Node 20 itself reads --env-file wherever it appears and stops with "node: FILE: not found".)
    expect(absent.exitCode).not.toBe(0);
    expectOneLine(absent.stderr, "nope.env", /does not exist|not found/);
    const viaVariable = await runCli(TOKEN_CREATE, ["--role", "viewer"], { ENV_FILE: path.join(dir, "nope.env") });
    expect(viaVariable.exitCode).toBe(2);
    expectOneLine(viaVariable.stderr, "nope.env", /does not exist/);
  });

  it("a database other than the default is never created unless asked (--create-db / CREATE_DATABASE)", async () => {
    const missing = missingDatabaseUrl();
    const r = await runCli(MAIN, ["gateway"], { ...base(), DATABASE_URL: missing.url });
    expect(r.exitCode).toBe(1);
    expectOneLine(r.stderr, `no database "${missing.name}"`, /--create-db/);
    expect(await databaseExists(missing.name)).toBe(false);

    const asked = await runCli(TOKEN_CREATE, ["--role", "admin", "--create-db"], { DATABASE_URL: missing.url });
    try {
      expect(asked.exitCode, asked.stderr).toBe(0);
      expect(await databaseExists(missing.name)).toBe(true);
      expect(asked.stderr).toContain(`in database ${missing.url}`);
    } finally {
      await dropDatabase(missing.name);
    }
  });

  it("Redis is checked before anything changes: a bad REDIS_URL creates no database", async () => {
    const missing = missingDatabaseUrl();
    const refused = `redis://127.0.0.1:${await freePort()}`;
    const r = await runCli(MAIN, ["all"], { ...base(), DATABASE_URL: missing.url, CREATE_DATABASE: "true", REDIS_URL: refused });
    expect(r.exitCode).toBe(1);
    expectOneLine(
      r.stderr,
      /^Redis at 127\.0\.0\.1:\d+ is not reachable: nothing accepts connections .*connection refused.*Fix: /,
    );
    expect(await databaseExists(missing.name)).toBe(false);

    // Nor are migrations run on an existing, empty database.
    const fresh = await createTestDatabase();
    try {
      const again = await runCli(MAIN, ["worker"], { ...base(), DATABASE_URL: fresh.url, REDIS_URL: refused });
      expect(again.exitCode).toBe(1);
      expect(await tables(fresh.url)).toBe(0);
    } finally {
      await fresh.drop();
    }
  });

  it("an http:// REDIS_URL is refused in one line naming the variable and the right form", async () => {
    const r = await runCli(MAIN, ["all"], { ...base(), REDIS_URL: "http://127.0.0.1:6379" });
    expect(r.exitCode).toBe(2);
    expectOneLine(r.stderr, /^Invalid configuration: REDIS_URL: not a Redis URL: use redis:\/\/host:6379/);
  });

  it("something other than Redis on the port: one line saying so", async () => {
    const server = net.createServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const r = await runCli(MAIN, ["worker"], { ...base(), REDIS_URL: `redis://127.0.0.1:${port}` });
      expect(r.exitCode).toBe(1);
      expectOneLine(r.stderr, /did not answer as Redis does/, /Fix: /);
    } finally {
      server.close();
    }
  });

  it("a PostgreSQL user that does not exist: one line with the fix, not the driver's dump", async () => {
    const url = new URL(database.url);
    url.username = "no_such_role";
    const r = await runCli(MAIN, ["worker"], { ...base(), DATABASE_URL: url.toString() });
    expect(r.exitCode).toBe(1);
    expectOneLine(r.stderr, /has no user "no_such_role"/, /Fix: .*createuser/);
  });

  it("PostgreSQL not listening: one line with how to start it", async () => {
    const r = await runCli(MAIN, ["worker"], {
      ...base(),
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/sparsify`,
    });
    expect(r.exitCode).toBe(1);
    expectOneLine(r.stderr, /^PostgreSQL at 127\.0\.0\.1:\d+ is not reachable/, /docker compose up -d postgres redis/);
  });

  it("logs one start line naming database, Redis, storage roots and mode, with credentials redacted", async () => {
    const withSecrets = new URL(database.url);
    withSecrets.password = "pg-secret-1"; // trust auth ignores it
    const refused = `redis://:redis-secret-2@127.0.0.1:${await freePort()}`;
    const r = await runCli(MAIN, ["worker"], { ...base(), DATABASE_URL: withSecrets.toString(), REDIS_URL: refused });
    const all = r.stdout + r.stderr;
    expect(all).not.toContain("pg-secret-1");
    expect(all).not.toContain("redis-secret-2");
    const starts = r.stdout.split("\n").filter((l) => l.includes('"msg":"starting"'));
    expect(starts).toHaveLength(1);
    const line = JSON.parse(starts[0]!);
    expect(line).toMatchObject({ mode: "worker", storageRoots: [dir], queuePrefix: base().QUEUE_PREFIX });
    expect(line.database).toBe(withSecrets.toString().replace("pg-secret-1", "***"));
    expect(line.redis).toMatch(/^redis:\/\/:\*\*\*@127\.0\.0\.1:\d+$/);
  });

  it("a Sentinel REDIS_URL whose sentinels do not answer: one line naming them, the start line redacts both passwords", async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const url = `redis+sentinel://:redis-secret-3@127.0.0.1:${p1},[::1]:${p2}/fleet?sentinelPassword=sentinel-secret-4`;
    const r = await runCli(MAIN, ["worker"], { ...base(), REDIS_URL: url });
    expect(r.exitCode).toBe(1);
    const named = `^Redis sentinels 127\\.0\\.0\\.1:${p1}, \\[::1\\]:${p2} \\(master "fleet"\\) are not reachable: `;
    expectOneLine(r.stderr, new RegExp(named), /Fix: start the sentinels/);
    const all = r.stdout + r.stderr;
    expect(all).not.toContain("redis-secret-3");
    expect(all).not.toContain("sentinel-secret-4");
    const start = JSON.parse(r.stdout.split("\n").find((l) => l.includes('"msg":"starting"'))!);
    expect(start.redis).toBe(`redis+sentinel://:***@127.0.0.1:${p1},[::1]:${p2}/fleet?sentinelPassword=***`);
  });

  it("a malformed Sentinel REDIS_URL is refused in one line with the right form", async () => {
    const r = await runCli(MAIN, ["all"], { ...base(), REDIS_URL: "redis+sentinel://127.0.0.1:26379,127.0.0.1:26380" });
    expect(r.exitCode).toBe(2);
    expectOneLine(
      r.stderr,
      /^Invalid configuration: REDIS_URL: no master name after the sentinels: /,
      "use redis+sentinel://host1:26379,host2:26379/mastername",
    );
  });

  it("a port already in use: one line naming the port and what to do, exit non-zero, nothing migrated", async () => {
    const fresh = await createTestDatabase();
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const r = await runCli(
        MAIN,
        ["gateway"],
        { ...base(), DATABASE_URL: fresh.url, PORT: String(port) },
        { timeoutMs: 30_000 },
      );
      expect(r.timedOut).toBe(false);
      expect(r.exitCode).toBe(1);
      expectOneLine(r.stderr, new RegExp(`^Port ${port} on 127\\.0\\.0\\.1 is already in use`), /Fix: .*PORT=/);
      expect(await tables(fresh.url)).toBe(0);
    } finally {
      taken.close();
      await fresh.drop();
    }
  });
});
