import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Reconciler } from "../../src/services/reconciler.js";
import { ok, startStack, type Stack } from "../support/stack.js";

/** PostgreSQL is the truth; Redis can forget. No worker here: jobs stay where we put them. */
describe("reconciler", () => {
  let stack: Stack;
  let domainId: string;
  let reconciler: Reconciler;

  const newDisk = async (alias: string) =>
    (
      await stack.db.query(
        `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable) VALUES ($1, $2, 'QCOW2', true) RETURNING id`,
        [domainId, alias],
      )
    )[0].id as string;
  const job = async (id: string) =>
    ok<any>(
      await stack.gql(`query($j: ID!) { sparsifyJob(id: $j) { state error { code message } disk { status sparsifiable } } }`, {
        j: id,
      }),
    ).sparsifyJob;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('r', $1) RETURNING id`, [
      `${stack.root}/r`,
    ]);
    stack.gateway.reconciler.stop();
    reconciler = new Reconciler(stack.gateway.services, pino({ level: "silent" }), 0);
  });
  afterAll(() => stack?.close());

  it("re-queues a QUEUED job that Redis lost", async () => {
    const diskId = await newDisk("lost-in-redis");
    const queued = ok<any>(
      await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id state } }`, { d: diskId }),
    ).sparsifyDisk;
    const queue = stack.gateway.services.queues.get(domainId);
    expect(await queue.getJob(queued.id)).toBeTruthy();
    await queue.obliterate({ force: true });
    expect(await queue.getJob(queued.id)).toBeUndefined();

    const report = await reconciler.run();
    expect(report.requeued).toContain(queued.id);
    expect(await queue.getJob(queued.id)).toBeTruthy();
    expect(await (await queue.getJob(queued.id))!.getState()).toBe("waiting");
    expect((await job(queued.id)).state).toBe("QUEUED");
    expect((await reconciler.run()).requeued).not.toContain(queued.id); // idempotent
  });

  it("ends a RUNNING job whose host stopped heartbeating, and releases the disk", async () => {
    const diskId = await newDisk("dead-host");
    const running = ok<any>(await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId })).sparsifyDisk;
    await stack.db.query(`INSERT INTO host (name, "heartbeatAt", concurrency) VALUES ('gone', now() - interval '10 minutes', 1)`);
    await stack.db.query(`UPDATE sparsify_job SET state = 'RUNNING', host = 'gone' WHERE id = $1`, [running.id]);
    await stack.gateway.services.queues.get(domainId).obliterate({ force: true });

    const report = await reconciler.run();
    expect(report.lost).toContain(running.id);
    const ended = await job(running.id);
    expect(ended).toMatchObject({ state: "FAILED", error: { code: "WORKER_LOST" }, disk: { status: "OK", sparsifiable: true } });
  });

  it("leaves a RUNNING job alone while its host heartbeats", async () => {
    const diskId = await newDisk("alive-host");
    const running = ok<any>(await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId })).sparsifyDisk;
    await stack.db.query(`INSERT INTO host (name, "heartbeatAt", concurrency) VALUES ('alive', now(), 1)`);
    await stack.db.query(`UPDATE sparsify_job SET state = 'RUNNING', host = 'alive' WHERE id = $1`, [running.id]);
    const report = await reconciler.run();
    expect(report.lost).not.toContain(running.id);
    expect((await job(running.id)).state).toBe("RUNNING");
  });

  it("releases a disk LOCKED with no active job and records why", async () => {
    const diskId = await newDisk("orphan-lock");
    await stack.db.query(`UPDATE disk SET status = 'LOCKED', sparsifiable = false WHERE id = $1`, [diskId]);
    const report = await reconciler.run();
    expect(report.unlocked).toEqual([diskId]);
    const disk = ok<any>(await stack.gql(`query($d: ID!) { disk(id: $d) { status sparsifiable } }`, { d: diskId })).disk;
    expect(disk).toEqual({ status: "OK", sparsifiable: true });
    const events = ok<any>(
      await stack.gql(`query($d: ID!) { events(filter: { diskId: $d }) { edges { node { type actor message } } } }`, {
        d: diskId,
      }),
    );
    expect(events.events.edges[0].node).toMatchObject({ type: "LOCK_RELEASED", actor: "reconciler" });
  });

  it("prunes audit events older than the retention", async () => {
    await stack.db.query(
      `INSERT INTO event (type, message, "createdAt") VALUES ('OLD', 'ancient', now() - interval '400 ` +
        "days'), ('RECENT', 'fresh', now() - interval '1 day')",
    );
    await reconciler.run();
    const rows = await stack.db.query(`SELECT type FROM event WHERE type IN ('OLD', 'RECENT')`);
    expect(rows.map((r: any) => r.type)).toEqual(["RECENT"]);
  });

  it("when enqueueing fails the job ends FAILED and the disk is not left locked", async () => {
    const diskId = await newDisk("no-redis");
    const queues = stack.gateway.services.queues;
    const original = queues.get.bind(queues);
    queues.get = () => ({ add: async () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379")) }) as any;
    try {
      const res = await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId });
      expect(res.errors?.[0]?.extensions?.code).toBe("QUEUE_UNAVAILABLE");
    } finally {
      queues.get = original;
    }
    const disk = ok<any>(
      await stack.gql(`query($d: ID!) { disk(id: $d) { status sparsifiable lastSparsifyJob { state error { code } } } }`, {
        d: diskId,
      }),
    ).disk;
    expect(disk).toEqual({
      status: "OK",
      sparsifiable: true,
      lastSparsifyJob: { state: "FAILED", error: { code: "QUEUE_UNAVAILABLE" } },
    });
  });
});
