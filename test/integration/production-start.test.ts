import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, REDIS_URL } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";

const MAIN = path.resolve("dist/src/main.js");
const CLI = path.resolve("dist/src/cli/token-create.js");

/** `npm start` (node dist/src/main.js all) with NODE_ENV set, until it says it is ready. */
async function start(
  nodeEnv: string,
  databaseUrl: string,
  root: string,
): Promise<{ child: ResultPromise; output: () => string; port: number }> {
  let output = "";
  const child = execa("node", [MAIN, "all"], {
    reject: false,
    all: true,
    // BIND_ADDRESS is left unset on purpose: its default is under test.
    env: {
      NODE_ENV: nodeEnv,
      PORT: "0",
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      QUEUE_PREFIX: `t${randomBytes(5).toString("hex")}`,
      STORAGE_ROOTS: root,
      HOST_NAME: `prod-${randomBytes(3).toString("hex")}`,
      LOG_LEVEL: "warn",
      BIND_ADDRESS: "",
    },
  });
  child.all!.on("data", (chunk) => (output += String(chunk)));
  const ready = await waitFor(() => /Sparsify gateway ready: web UI at http:\/\/localhost:(\d+)\//.exec(output), {
    timeout: 60_000,
    what: `"gateway ready" from npm start (output so far: ${output})`,
  });
  // The development token is printed right after the ready line: give a production start the time
  // it would need to print one (the development control waits for its token itself).
  await new Promise((r) => setTimeout(r, 1_500));
  return { child, output: () => output, port: Number(ready![1]) };
}

/** How a TCP connect to host:port ends: "connected", or the error code (ECONNREFUSED…). */
const connectOutcome = (host: string, port: number) =>
  new Promise<string>((resolve) => {
    const socket = net.connect({ host, port, timeout: 5_000 });
    socket.once("connect", () => (socket.destroy(), resolve("connected")));
    socket.once("timeout", () => (socket.destroy(), resolve("timeout")));
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });

const tokenRows = async (url: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(`SELECT name, "createdBy" FROM api_token`)).rows;
  } finally {
    await client.end();
  }
};

describe("secure defaults at start", () => {
  let root: string;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(() => {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does it)`);
    root = fs.mkdtempSync(path.join(os.tmpdir(), "sparsify-prod-"));
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function run(nodeEnv: string) {
    const database = await createTestDatabase();
    cleanups.push(database.drop);
    const started = await start(nodeEnv, database.url, root);
    cleanups.push(async () => {
      started.child.kill("SIGTERM");
      await started.child;
    });
    return { ...started, database };
  }

  let production: Awaited<ReturnType<typeof run>>;

  it("NODE_ENV=production: npm start creates and prints no development token", async () => {
    production = await run("production");
    const { output, database } = production;
    expect(output()).not.toMatch(/spg_|Development admin token/);
    expect(await tokenRows(database.url)).toEqual([]);
  });

  it("development (the control): it does print one, so the check above can see a token", async () => {
    const { output, database } = await run("development");
    // Printed after the ready line, once its row is written: wait for it rather than for a fixed pause.
    await waitFor(() => /Development admin token[^\n]*\n\S+/.test(output()), { timeout: 30_000, what: "the development token" });
    expect((await tokenRows(database.url)).map((r) => r.createdBy)).toEqual(["npm-start"]);
  });

  it("BIND_ADDRESS defaults to 127.0.0.1: reachable on loopback, refused on the machine's other addresses", async () => {
    const { port } = production ?? (await run("production"));
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBeLessThan(500);
    // Every Linux box answers all of 127.0.0.0/8 on lo: a listener on 0.0.0.0 (or any address
    // but 127.0.0.1) accepts 127.0.0.2 too, so this holds even where loopback is all there is.
    expect(await connectOutcome("127.0.0.2", port)).toBe("ECONNREFUSED");
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === "IPv4" && !i.internal);
    if (!external) return; // a machine with loopback only: nothing else to refuse
    await expect(fetch(`http://${external.address}:${port}/healthz`)).rejects.toThrow();
  });

  it("token:create with NODE_ENV=production shows the secret it makes, once", async () => {
    const database = await createTestDatabase();
    cleanups.push(database.drop);
    // The CLI's own migrations need the schema: a gateway start made it in the other databases.
    const result = await execa("node", [CLI, "--role", "viewer", "--name", "prod-cli"], {
      reject: false,
      env: { NODE_ENV: "production", DATABASE_URL: database.url, LOG_LEVEL: "silent" },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const secret = result.stdout.trim();
    expect(secret).toMatch(/^\S{40,}$/);
    expect(`${result.stdout}\n${result.stderr}`.split(secret)).toHaveLength(2);
    expect(await tokenRows(database.url)).toEqual([{ name: "prod-cli", createdBy: "cli" }]);
  });
});
