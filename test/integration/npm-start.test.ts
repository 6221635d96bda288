import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MAIN, requireBuild } from "../support/cli-run.js";
import { freePort } from "../support/redis-server.js";
import {
  childrenOf,
  isAlive,
  killGroup,
  portServed,
  startInOwnGroup,
  waitReady,
  type ServiceProcess,
} from "../support/service-process.js";
import { createTestDatabase, REDIS_URL } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";

/**
 * `npm start` (and start:gateway / start:worker) as an operator runs them: the process npm starts
 * is the service itself (no shell in between), so `kill <pid>` of it, or of npm (which forwards
 * SIGTERM), stops the service and frees the port. Building happens only when sources changed,
 * and token:create never rebuilds the web UI under a running gateway.
 */
describe("npm start and its signals", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let root: string;
  let service: ServiceProcess | undefined;

  const envFor = async () => ({
    ...(process.env as Record<string, string>),
    NODE_ENV: "test",
    PORT: String(await freePort()),
    BIND_ADDRESS: "127.0.0.1",
    DATABASE_URL: database.url,
    REDIS_URL,
    QUEUE_PREFIX: `ns${randomBytes(4).toString("hex")}`,
    STORAGE_ROOTS: root,
    HOST_NAME: `npm-start-${randomBytes(3).toString("hex")}`,
    LOG_LEVEL: "info",
  });

  /** The one process npm started: must be node running main.js in `mode`. */
  const serviceChild = async (npmPid: number, mode: string) => {
    const children = (await waitFor(
      async () => {
        const found = await childrenOf(npmPid);
        return found.length ? found : undefined;
      },
      { what: "npm's child" },
    ))!;
    expect(children.map((c) => c.cmdline.join(" "))).toEqual([
      expect.stringMatching(new RegExp(`^node \\S*dist/src/main\\.js ${mode}$`)),
    ]);
    return children[0]!;
  };

  beforeAll(async () => {
    requireBuild();
    database = await createTestDatabase();
    root = await fs.mkdtemp(path.join(os.tmpdir(), "npm-start-"));
  });

  afterEach(() => killGroup(service));

  afterAll(async () => {
    await database?.drop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it("npm start runs node itself: `kill <pid npm started>` leaves nothing serving the port", async () => {
    const env = await envFor();
    service = startInOwnGroup("npm", ["start", "--silent"], env);
    await waitReady(service);
    const port = Number(env.PORT);
    expect(await portServed(port)).toBe(true);
    const child = await serviceChild(service.proc.pid!, "all");

    process.kill(child.pid, "SIGTERM");
    await waitFor(async () => !(await isAlive(child.pid)) && !(await portServed(port)), {
      timeout: 30_000,
      what: "the service to stop",
    });
    const result = await service.proc;
    expect(result.exitCode, service.output().slice(-2000)).toBe(0);
  }, 120_000);

  it("`kill <npm pid>`: npm forwards SIGTERM, the service stops too (no orphan keeps the port)", async () => {
    const env = await envFor();
    service = startInOwnGroup("npm", ["run", "start:gateway", "--silent"], env);
    await waitReady(service);
    const port = Number(env.PORT);
    const child = await serviceChild(service.proc.pid!, "gateway");

    process.kill(service.proc.pid!, "SIGTERM");
    await waitFor(async () => !(await isAlive(child.pid)) && !(await portServed(port)), {
      timeout: 30_000,
      what: "the orphan-free stop",
    });
  }, 120_000);

  it("npm run start:worker runs node itself and stops on SIGTERM", async () => {
    const env = await envFor();
    service = startInOwnGroup("npm", ["run", "start:worker", "--silent"], env);
    await waitFor(() => /host worker started/.test(service!.output()), { timeout: 60_000, what: "the worker" });
    const child = await serviceChild(service.proc.pid!, "worker");
    process.kill(child.pid, "SIGTERM");
    expect((await service.proc).exitCode, service.output().slice(-2000)).toBe(0);
  }, 120_000);

  it("logs are readable lines on a terminal and JSON lines otherwise", async () => {
    const env = { ...(await envFor()), REDIS_URL: `redis://127.0.0.1:${await freePort()}` };
    // util-linux `script` gives the process a pseudo-terminal as stdout.
    const tty = await execa("script", ["-qec", `node ${MAIN} worker`, "/dev/null"], { env, reject: false });
    expect(tty.stdout).toMatch(/INFO.*\(worker\).*starting/);
    expect(tty.stdout).not.toMatch(/\{"level":30/);
    const piped = await execa("node", [MAIN, "worker"], { env, reject: false });
    expect(piped.stdout.split("\n")[0]).toMatch(/^\{"level":30,.*"msg":"starting"\}$/);
  }, 60_000);
});

/** The launcher builds only what is stale, in a copy of the project (the real build stays untouched). */
describe("npm start builds only when sources are newer than the build", () => {
  let copy: string;

  const run = async (script: string, ...args: string[]) => {
    const r = await execa("npm", ["run", script, "--silent", "--", ...args], {
      cwd: copy,
      reject: false,
      env: { ...process.env, CI: "" },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stderr;
  };
  const mtime = async (file: string) => (await fs.stat(path.join(copy, file))).mtimeMs;
  /** Edits a source "after" the build: the build markers are dated back, the file gets now (coarse filesystem clocks). */
  const touchAfterBuild = async (file: string, marker: string) => {
    const earlier = new Date(Date.now() - 10_000);
    await fs.utimes(path.join(copy, marker), earlier, earlier);
    const now = new Date();
    await fs.utimes(path.join(copy, file), now, now);
  };

  beforeAll(async () => {
    copy = await fs.mkdtemp(path.join(os.tmpdir(), "launch-"));
    for (const item of ["src", "web", "scripts", "schema.graphql", "package.json", "package-lock.json", "tsconfig.json"]) {
      await fs.cp(path.resolve(item), path.join(copy, item), {
        recursive: true,
        filter: (src) => !src.includes(`${path.sep}web${path.sep}dist`),
      });
    }
    for (const item of ["node_modules", "test", "bench"]) await fs.symlink(path.resolve(item), path.join(copy, item));
  });

  afterAll(async () => {
    await fs.rm(copy, { recursive: true, force: true });
  });

  it("builds once, then starts without building; rebuilds only the part whose sources changed", async () => {
    // token:create on a fresh checkout builds the server code, never the web UI.
    expect(await run("token:create", "--help")).toMatch(/Sources changed since the last build: building/);
    await expect(fs.stat(path.join(copy, "web/dist"))).rejects.toThrow();
    const built = await mtime("dist/.built");

    // npm start builds the missing web UI only.
    const first = await run("start", "--help");
    expect(first).toMatch(/Web UI sources changed/);
    expect(first).not.toMatch(/^Sources changed/m);
    const web = await mtime("web/dist/index.html");

    // Nothing changed: no build at all.
    expect(await run("start", "--help")).toBe("");
    expect(await mtime("dist/.built")).toBe(built);
    expect(await mtime("web/dist/index.html")).toBe(web);

    // A server source changed: the server is rebuilt, the web UI is not.
    await touchAfterBuild("src/config.ts", "dist/.built");
    const agedWeb = await mtime("web/dist/index.html");
    expect(await run("start", "--help")).toMatch(/^Sources changed since the last build: building/);
    expect(await mtime("web/dist/index.html")).toBe(agedWeb);

    // A server change that changes the schema: schema.graphql is regenerated, and the web UI (whose
    // API types come from it) is rebuilt. The stale schema is dated before the builds, as if left by the last one.
    const schema = await fs.readFile(path.resolve("schema.graphql"), "utf8");
    await fs.writeFile(path.join(copy, "schema.graphql"), `${schema}\n# an older schema\n`);
    const older = new Date(Date.now() - 20_000);
    await fs.utimes(path.join(copy, "schema.graphql"), older, older);
    await fs.utimes(path.join(copy, "web/dist/index.html"), new Date(Date.now() - 15_000), new Date(Date.now() - 15_000));
    await touchAfterBuild("src/config.ts", "dist/.built");
    const regenerated = await run("start", "--help");
    expect(regenerated).toMatch(/^Sources changed since the last build: building/);
    expect(await fs.readFile(path.join(copy, "schema.graphql"), "utf8")).toBe(schema);
    expect(regenerated).toMatch(/Web UI sources changed/);

    // A web source changed: token:create leaves web/dist alone (a running gateway serves it).
    const webSource = (await fs.readdir(path.join(copy, "web/src"))).find((f) => f.endsWith(".tsx"))!;
    await touchAfterBuild(`web/src/${webSource}`, "web/dist/index.html");
    const staleWeb = await mtime("web/dist/index.html");
    expect(await run("token:create", "--help")).toBe("");
    expect(await mtime("web/dist/index.html")).toBe(staleWeb);
    // …which the next npm start then rebuilds.
    expect(await run("start", "--help")).toMatch(/Web UI sources changed/);
  }, 240_000);
});
