import { randomUUID } from "node:crypto";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { JobErrorCode } from "../../src/domain/job-error-code.js";
import { Role } from "../../src/domain/roles.js";
import { toSnapshot } from "../../src/jobs/queue/job-snapshot.js";
import { subscriptionExecutions } from "../../src/metrics.js";
import { startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";
import { wsClient } from "../support/ws.js";

const WATCH = `subscription($id: ID!) { sparsifyJob(id: $id) { id state phase progress outcomeMessage error { code message } } }`;

interface Watch {
  values: any[];
  done: Promise<void>;
}

function watch(client: Client, id: string, query = WATCH): Watch {
  const values: any[] = [];
  let finish = () => {};
  let fail = (_: unknown) => {};
  const done = new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));
  client.subscribe(
    { query, variables: { id } },
    {
      next: (v) => (v.errors ? fail(new Error(JSON.stringify(v.errors))) : values.push(v.data!.sparsifyJob)),
      error: fail,
      complete: finish,
    },
  );
  return { values, done };
}

const executions = async () => (await subscriptionExecutions.get()).values[0]?.value ?? 0;

/** No real worker runs these jobs: keep the reconciler from ending them as lost (and it is stopped). */
const NO_RECONCILER = { RECONCILE_INTERVAL_MS: "3600000", HOST_OFFLINE_AFTER_MS: "3600000" };

/** A RUNNING job on a disk of its own, as a worker leaves it when virt-sparsify starts. */
async function runningJob(stack: Stack): Promise<string> {
  const [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ($1, $2) RETURNING id`, [
    `mux-${randomUUID()}`,
    `${stack.root}/mux-${randomUUID()}`,
  ]);
  const [{ id: diskId }] = await stack.db.query(
    `INSERT INTO disk ("storageDomainId", alias, format, "virtualSize", "actualSize", status)
     VALUES ($1, 'mux', 'QCOW2', 1073741824, 1048576, 'LOCKED') RETURNING id`,
    [domainId],
  );
  const id = randomUUID();
  // Its host is alive (a fresh heartbeat), so the reconciler's first pass, which may still be running, leaves the job alone.
  const host = `mux-host-${id}`;
  await stack.db.query(
    `INSERT INTO host (name, "heartbeatAt", "storageDomainIds", concurrency) VALUES ($1, now(), ARRAY[$2::uuid], 1)`,
    [host, domainId],
  );
  await stack.db.query(
    `INSERT INTO sparsify_job (id, "diskId", "storageDomainId", state, phase, progress, host, attempts, "requestedBy", "startedAt")
     VALUES ($1, $2, $3, 'RUNNING', 'TRIMMING', 0, $4, 1, 'test', now())`,
    [id, diskId, domainId, host],
  );
  return id;
}

describe("subscriptions are executed once per distinct subscription and event, and never leak between clients", () => {
  let stack: Stack;
  const clients: Client[] = [];
  const client = (token: string) => {
    const c = wsClient(stack.wsUrl, token);
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: NO_RECONCILER });
    stack.gateway.reconciler.stop();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await stack?.close();
  });

  it("an admin and a viewer on the same job get their own redaction; two of each cost two executions per event", async () => {
    const id = await runningJob(stack);
    const viewerToken = await stack.tokenFor(Role.VIEWER);
    const admins = [watch(client(stack.token), id), watch(client(stack.token), id)];
    const viewers = [watch(client(viewerToken), id), watch(client(viewerToken), id)];
    const all = [...admins, ...viewers];
    await waitFor(() => all.every((w) => w.values.length === 1), { timeout: 10_000, interval: 20 });
    const before = await executions();
    const path = `${stack.root}/mux/disk.qcow2`;
    const store = stack.gateway.services.sparsify.store;
    await store.patchActive(id, {
      progress: 40,
      outcomeMessage: `trimming ${path}`,
      errorCode: JobErrorCode.PERMISSION_DENIED,
      errorMessage: `open ${path}: denied`,
    });
    await waitFor(() => all.every((w) => w.values.length === 2), { timeout: 10_000, interval: 20 });
    expect(await executions()).toBe(before + 2);
    for (const a of admins)
      expect(a.values[1]).toMatchObject({
        id,
        progress: 40,
        outcomeMessage: `trimming ${path}`,
        error: { message: `open ${path}: denied` },
      });
    for (const v of viewers) {
      expect(v.values[1]).toMatchObject({
        id,
        progress: 40,
        outcomeMessage: "trimming [host path]",
        error: { message: "open [host path]: denied" },
      });
      expect(JSON.stringify(v.values)).not.toContain(stack.root);
    }
    await store.finish(id, { state: "SUCCEEDED" as never, outcomeMessage: `done with ${path}`, actor: "test" });
    await Promise.all(all.map((w) => w.done));
    expect(admins[0]!.values.at(-1)).toMatchObject({ state: "SUCCEEDED", outcomeMessage: `done with ${path}` });
    expect(viewers[0]!.values.at(-1)).toMatchObject({ state: "SUCCEEDED", outcomeMessage: "done with [host path]" });
  });

  it("two subscriptions that differ only in their variables each get their own job, on one socket or two", async () => {
    const [a, b] = [await runningJob(stack), await runningJob(stack)];
    const shared = client(stack.token);
    const other = client(stack.token);
    const watches = { a1: watch(shared, a), b1: watch(shared, b), a2: watch(other, a), b2: watch(other, b) };
    await waitFor(() => Object.values(watches).every((w) => w.values.length === 1), { timeout: 10_000, interval: 20 });
    const store = stack.gateway.services.sparsify.store;
    await store.patchActive(a, { progress: 11 });
    await store.patchActive(b, { progress: 22 });
    await store.patchActive(a, { progress: 33 });
    await store.finish(a, { state: "SUCCEEDED" as never, actor: "test" });
    await store.finish(b, {
      state: "FAILED" as never,
      errorCode: JobErrorCode.INTERNAL_ERROR,
      errorMessage: "b broke",
      actor: "test",
    });
    await Promise.all(Object.values(watches).map((w) => w.done));
    for (const w of [watches.a1, watches.a2]) {
      expect(w.values.map((v) => `${v.id}:${v.state}:${v.progress}`)).toEqual([
        `${a}:RUNNING:0`,
        `${a}:RUNNING:11`,
        `${a}:RUNNING:33`,
        `${a}:SUCCEEDED:100`,
      ]);
    }
    for (const w of [watches.b1, watches.b2]) {
      expect(w.values.map((v) => `${v.id}:${v.state}:${v.progress}`)).toEqual([
        `${b}:RUNNING:0`,
        `${b}:RUNNING:22`,
        `${b}:FAILED:22`,
      ]);
    }
  });
});

describe("a slow consumer is never dropped: its progress is coalesced to the latest, its transitions all arrive", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: NO_RECONCILER });
    stack.gateway.reconciler.stop();
  });
  afterAll(() => stack?.close());

  it("a reader that stops reading gets, once it reads again, the latest progress of each phase, every phase and the end", async () => {
    const id = await runningJob(stack);
    const socket = new WebSocket(stack.wsUrl, "graphql-transport-ws");
    const frames: any[] = [];
    let closed: number | null = null;
    socket.on("close", (code) => (closed = code));
    socket.on("message", (data) => frames.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${stack.token}` } }));
    await waitFor(() => frames.some((f) => f.type === "connection_ack"), { timeout: 5_000, interval: 20 });
    socket.send(JSON.stringify({ id: "s1", type: "subscribe", payload: { query: WATCH, variables: { id } } }));
    await waitFor(() => frames.some((f) => f.type === "next"), { timeout: 5_000, interval: 20 });
    // Stop reading: the kernel's buffers fill, then the gateway's.
    (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    // ~26 MB of progress, far beyond what loopback's socket buffers hold, in two phases.
    const job = (await stack.gateway.services.sparsify.store.get(id))!;
    const filler = "x".repeat(320 * 1024);
    const bus = stack.gateway.services.bus;
    for (let progress = 1; progress <= 80; progress++) {
      const phase = progress <= 40 ? "TRIMMING" : "MEASURING";
      await bus.publish({
        type: "job",
        job: toSnapshot({ ...job, phase: phase as never, progress, outcomeMessage: `${progress} ${filler}` }),
      });
    }
    await bus.publish({
      type: "job",
      job: toSnapshot({
        ...job,
        state: "SUCCEEDED" as never,
        phase: "DONE" as never,
        progress: 100,
        outcomeMessage: "done",
        finishedAt: new Date(),
      }),
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();

    await waitFor(() => frames.some((f) => f.type === "complete"), { timeout: 20_000, interval: 20 });
    expect(closed).toBeNull();
    const nexts = frames.filter((f) => f.type === "next").map((f) => f.payload.data.sparsifyJob);
    const seen = nexts.map((j: any) => `${j.state}:${j.phase}:${j.progress}`);
    // Some progress was skipped (coalesced), in order, ending with the latest of each phase.
    expect(nexts.length).toBeLessThan(82);
    const progresses = nexts.map((j: any) => j.progress);
    expect(progresses).toEqual([...progresses].sort((x, y) => x - y));
    expect(new Set(progresses).size).toBe(progresses.length);
    expect(seen).toContain("RUNNING:TRIMMING:40");
    expect(seen).toContain("RUNNING:MEASURING:41");
    expect(seen).toContain("RUNNING:MEASURING:80");
    expect(seen.at(-1)).toBe("SUCCEEDED:DONE:100");
    expect(frames.at(-1)).toEqual({ id: "s1", type: "complete" });
    socket.close();
  });
});
