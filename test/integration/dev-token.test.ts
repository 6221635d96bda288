import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataSource } from "typeorm";
import { Role } from "../../src/domain/roles.js";
import { openDatabase } from "../../src/server/database.js";
import { developmentToken } from "../../src/server/dev-token.js";
import { TokenService, digestOf } from "../../src/services/token.service.js";
import { createTestDatabase, REDIS_URL } from "../support/stack.js";
import { makeTempDir } from "../support/temp-dir.js";

const MAIN = path.resolve("dist/src/main.js");
const TOKEN_LINE = /^spg_[A-Za-z0-9_-]+$/m;

/** `node dist/src/main.js gateway` in development mode; resolves with its port and printed token. */
async function startGateway(env: Record<string, string>): Promise<{ proc: ResultPromise; port: number; token: string }> {
  const proc = execa("node", [MAIN, "gateway"], {
    reject: false,
    stdio: ["ignore", "pipe", "pipe"],
    env: { NODE_ENV: "development", PORT: "0", BIND_ADDRESS: "127.0.0.1", LOG_LEVEL: "warn", ...env },
  });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no token printed within 30 s:\n${out}`)), 30_000);
    proc.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const port = /localhost:(\d+)\//.exec(out)?.[1];
      const token = TOKEN_LINE.exec(out)?.[0];
      if (port && token) {
        clearTimeout(timer);
        resolve({ proc, port: Number(port), token });
      }
    });
    void proc.then((r) => reject(new Error(`gateway exited ${r.exitCode}:\n${out}\n${r.stderr}`)));
  });
}

async function whoAmI(port: number, token: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "{ apiTokens { name } }" }),
  });
  return res.status;
}

describe("the development token", () => {
  let database: { url: string; drop: () => Promise<void> };
  let dir: { path: string; remove: () => Promise<void> };
  let db: DataSource;
  let env: Record<string, string>;
  const procs: ResultPromise[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = await makeTempDir("dev-token-");
    db = await openDatabase(database.url); // migrates
    env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      QUEUE_PREFIX: `t${randomBytes(5).toString("hex")}`,
      DEV_TOKEN_FILE: path.join(dir.path, "var", "dev-token"),
      STORAGE_ROOTS: dir.path,
    };
  });
  afterAll(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await db?.destroy();
    await database?.drop();
    await dir?.remove();
  });

  it("is the same for two gateways started one after the other, and still works on both", async () => {
    const first = await startGateway(env);
    procs.push(first.proc);
    const second = await startGateway(env); // while the first one still runs
    procs.push(second.proc);
    expect(second.token).toBe(first.token);
    expect(await whoAmI(first.port, first.token)).toBe(200);
    expect(await whoAmI(second.port, first.token)).toBe(200);
    second.proc.kill("SIGTERM");
    await second.proc;
    const third = await startGateway(env);
    procs.push(third.proc);
    expect(third.token).toBe(first.token);
    expect(await whoAmI(third.port, first.token)).toBe(200);
    // Nothing was revoked on the way.
    const revoked = await db.query(`SELECT count(*)::int AS n FROM api_token WHERE "revokedAt" IS NOT NULL`);
    expect(revoked[0].n).toBe(0);
    expect((await fs.readFile(env.DEV_TOKEN_FILE!, "utf8")).trim()).toBe(first.token);
    expect((await fs.stat(env.DEV_TOKEN_FILE!)).mode & 0o777).toBe(0o600);
    for (const p of [first.proc, third.proc]) p.kill("SIGTERM");
    await Promise.all([first.proc, third.proc]);
  }, 90_000);

  describe("developmentToken()", () => {
    const file = () => path.join(dir.path, "unit", "dev-token");
    const tokens = () => new TokenService(db, null);

    it("writes a new admin token with mode 0600 and keeps it while it is valid", async () => {
      const made = await developmentToken(tokens(), file());
      expect(made.reused).toBe(false);
      expect((await fs.stat(file())).mode & 0o777).toBe(0o600);
      expect((await tokens().verify(made.secret))?.role).toBe(Role.ADMIN);
      await fs.chmod(file(), 0o644);
      const again = await developmentToken(tokens(), file());
      expect(again).toMatchObject({ secret: made.secret, reused: true });
      expect((await fs.stat(file())).mode & 0o777).toBe(0o600);
    });

    it.each([
      ["revoked", `UPDATE api_token SET "revokedAt" = now() WHERE digest = $1`],
      ["expired", `UPDATE api_token SET "expiresAt" = now() - interval '1 minute' WHERE digest = $1`],
      ["about to expire", `UPDATE api_token SET "expiresAt" = now() + interval '1 hour' WHERE digest = $1`],
      ["unknown to this database", `DELETE FROM api_token WHERE digest = $1`],
    ])("replaces a stored token that is %s", async (_name, sql) => {
      const old = await developmentToken(tokens(), file());
      await db.query(sql, [digestOf(old.secret)]);
      const fresh = await developmentToken(tokens(), file());
      expect(fresh.reused).toBe(false);
      expect(fresh.secret).not.toBe(old.secret);
      expect((await fs.readFile(file(), "utf8")).trim()).toBe(fresh.secret);
      expect((await fs.stat(file())).mode & 0o777).toBe(0o600);
      expect(await tokens().verify(fresh.secret)).not.toBeNull();
    });

    it("replaces garbage in the file", async () => {
      await fs.writeFile(file(), "not a token\n");
      const fresh = await developmentToken(tokens(), file());
      expect(fresh.reused).toBe(false);
      expect(fresh.secret).toMatch(TOKEN_LINE);
    });
  });
});
