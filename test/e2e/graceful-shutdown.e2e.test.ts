import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { execa, type ResultPromise } from "execa";
import { createClient } from "graphql-ws";
import pg from "pg";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeExt4Image } from "../support/images.js";
import { freePort } from "../support/redis-server.js";
import { requireTools } from "../support/require-tool.js";
import { createTestDatabase, REDIS_URL } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";

/**
 * `node dist/src/main.js all` (what npm start runs) gets SIGTERM during a job: the gateway closes
 * WebSockets with 1001, the worker finishes the running job, the process exits 0.
 */
describe.runIf(requireTools("virt-sparsify", "qemu-img", "mke2fs", "debugfs"))("graceful shutdown on SIGTERM", () => {
  let proc: ResultPromise;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let root: string;
  let port: number;
  let token = "";
  let output = "";

  const gql = async (query: string, variables?: object) => {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as any;
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    root = await fs.mkdtemp(path.join(os.tmpdir(), "shutdown-"));
    await fs.mkdir(path.join(root, "dom"));
    await makeExt4Image(path.join(root, "dom", "disk.qcow2"), { format: "qcow2", deletedMiB: 60 });
    port = await freePort();
    proc = execa("node", ["dist/src/main.js", "all"], {
      reject: false,
      // execa would SIGKILL 5 s after our SIGTERM; the point is to see the process end by itself.
      forceKillAfterDelay: false,
      env: {
        NODE_ENV: "development",
        PORT: String(port),
        BIND_ADDRESS: "127.0.0.1",
        DATABASE_URL: database.url,
        REDIS_URL,
        QUEUE_PREFIX: `sd${randomBytes(4).toString("hex")}`,
        STORAGE_ROOTS: root,
        HOST_NAME: `shutdown-${randomBytes(3).toString("hex")}`,
        LOG_LEVEL: "info",
        LIBVIRT_URI: "none",
        // The drain must outlast a whole TCG run on a loaded CI (25-40 s when another file runs an
        // appliance too); past the grace the job would be handed back instead of finished.
        WORKER_SHUTDOWN_GRACE_MS: "300000",
      },
    });
    proc.stdout!.on("data", (d) => (output += d));
    proc.stderr!.on("data", (d) => (output += d));
    // In development npm start prints a ready admin token on the line after its announcement.
    token = (await waitFor(() => /Development admin token[^\n]*\n(spg_\S+)/.exec(output)?.[1], {
      timeout: 60_000,
      what: "the development token",
    }))!;
  }, 120_000);

  afterAll(async () => {
    proc?.kill("SIGKILL");
    await database?.drop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it("closes WebSockets with 1001, finishes the running job, exits 0", async () => {
    await gql(`mutation($p: String!) { addStorageDomain(input: { name: "dom", path: $p }) { id } }`, {
      p: path.join(root, "dom"),
    });
    const diskId = await waitFor(async () => (await gql(`{ disks { edges { node { id } } } }`)).disks.edges[0]?.node.id, {
      what: "the scan",
    });
    const job = (await gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId })).sparsifyDisk;

    let closeCode: number | undefined;
    const phases: string[] = [];
    const client = createClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
      on: { closed: (event) => void (closeCode = (event as { code: number }).code) },
    });
    client.subscribe(
      { query: `subscription($id: ID!) { sparsifyJob(id: $id) { phase } }`, variables: { id: job.id } },
      { next: (v: any) => phases.push(v.data.sparsifyJob.phase), error: () => {}, complete: () => {} },
    );
    await waitFor(() => phases.includes("LAUNCHING"), { timeout: 30_000, what: "LAUNCHING" });

    proc.kill("SIGTERM");
    await waitFor(() => closeCode, { timeout: 10_000, what: "the WebSocket to close" });
    expect(closeCode).toBe(1001);
    const result = await proc;
    expect(result.exitCode, output.slice(-3000)).toBe(0);
    expect(output).toMatch(/worker drained/);

    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const { rows } = await db.query(
      `SELECT j.state, d.status FROM sparsify_job j JOIN disk d ON d.id = j."diskId" WHERE j.id = $1`,
      [job.id],
    );
    await db.end();
    expect(rows[0]).toEqual({ state: "SUCCEEDED", status: "OK" });
    await client.dispose();
  }, 360_000);
});
