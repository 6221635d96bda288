import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAIN, plainLines, requireBuild, runCli } from "../support/cli-run.js";
import { freePort } from "../support/redis-server.js";
import { REDIS_URL } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";

/** The machine's PostgreSQL trusts every local connection; a private cluster asks for a password. */
async function findPgBin(): Promise<string | undefined> {
  const base = "/usr/lib/postgresql";
  const versions = await fs.readdir(base).catch(() => [] as string[]);
  for (const v of versions.sort().reverse()) {
    const bin = path.join(base, v, "bin");
    if (await fs.stat(path.join(bin, "initdb")).catch(() => null)) return bin;
  }
  return undefined;
}

const pgBin = await findPgBin();
if (!pgBin && process.env.CI === "true") throw new Error("PostgreSQL server binaries (initdb) are missing: install postgresql");

/**
 * A wrong or missing PostgreSQL password at start: one line with the cause and the fix, against a
 * real server with scram-sha-256 authentication (a throw-away cluster on a spare port).
 */
describe.runIf(pgBin !== undefined)("PostgreSQL password errors", () => {
  let dir: string;
  let port: number;
  let server: ResultPromise | undefined;
  const asPostgres = (file: string, args: string[]) =>
    process.geteuid?.() === 0
      ? execa("runuser", ["-u", "postgres", "--", file, ...args], { reject: false })
      : execa(file, args, { reject: false });

  beforeAll(async () => {
    requireBuild();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "pg-password-"));
    await fs.writeFile(path.join(dir, "pw"), "right-password\n");
    if (process.geteuid?.() === 0) await execa("chown", ["-R", "postgres:postgres", dir]);
    const init = await asPostgres(path.join(pgBin!, "initdb"), [
      "-D",
      path.join(dir, "data"),
      "-U",
      "postgres",
      "--auth=scram-sha-256",
      `--pwfile=${path.join(dir, "pw")}`,
      "--no-sync",
    ]);
    expect(init.exitCode, String(init.stderr)).toBe(0);
    port = await freePort();
    server = asPostgres(path.join(pgBin!, "postgres"), [
      "-D",
      path.join(dir, "data"),
      "-p",
      String(port),
      "-k",
      dir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
    ]);
    await waitFor(
      async () =>
        (await execa(path.join(pgBin!, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port)], { reject: false })).exitCode === 0,
      { timeout: 60_000, what: "the private PostgreSQL" },
    );
  }, 120_000);

  afterAll(async () => {
    // runuser does not pass signals on: stop the postmaster itself (SIGINT = fast shutdown).
    const pid = Number((await fs.readFile(path.join(dir, "data", "postmaster.pid"), "utf8").catch(() => "")).split("\n")[0]);
    if (pid > 0) process.kill(pid, "SIGINT");
    await Promise.race([server?.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 15_000))]);
    server?.kill("SIGKILL");
    await fs.rm(dir, { recursive: true, force: true });
  });

  const start = (databaseUrl: string) =>
    runCli(MAIN, ["worker"], { NODE_ENV: "test", DATABASE_URL: databaseUrl, REDIS_URL, STORAGE_ROOTS: dir });

  it("a wrong password: one line saying the password was rejected, and how to give the right one", async () => {
    const r = await start(`postgres://postgres:wrong-password@127.0.0.1:${port}/postgres`);
    expect(r.exitCode).toBe(1);
    const lines = plainLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${port} rejected the password of user "postgres"\\. Fix: .*DATABASE_URL`),
    );
    expect(r.stdout + r.stderr).not.toContain("wrong-password");
  });

  it("no password where one is needed: one line saying so", async () => {
    const r = await start(`postgres://postgres@127.0.0.1:${port}/postgres`);
    expect(r.exitCode).toBe(1);
    const lines = plainLines(r.stderr);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/asks user "postgres" for a password and DATABASE_URL gives none\. Fix: /);
  });

  it("the right password gets past PostgreSQL (the next check, a missing database, is reported instead)", async () => {
    const r = await start(`postgres://postgres:right-password@127.0.0.1:${port}/not_here`);
    expect(r.exitCode).toBe(1);
    expect(plainLines(r.stderr)).toEqual([expect.stringMatching(/no database "not_here"/)]);
  });
});
