import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { Queue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planFence } from "../../src/domain/fence-timing.js";
import { JobState } from "../../src/entities/enums.js";
import { FENCE_REASON, RunLease } from "../../src/jobs/worker/run-lease.js";
import { recordFenced } from "../../src/jobs/worker/run-events.js";
import { JobStore } from "../../src/services/job-store.js";
import { freePort } from "../support/redis-server.js";
import { ok, REDIS_URL, startStack, type Stack } from "../support/stack.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { lockWaiters } from "../support/lock-waiters.js";

/** A stale attempt's writes change nothing: every write a run makes is conditioned on its attempt. */
describe("job row writes are conditioned on the attempt", () => {
  let stack: Stack;
  let store: JobStore;
  let domainId: string;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    stack.gateway.reconciler.stop();
    [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('f', $1) RETURNING id`, [
      `${stack.root}/f`,
    ]);
    store = new JobStore(stack.db, stack.gateway.services.bus);
  });
  afterAll(() => stack?.close());

  const runningJob = async (alias: string) => {
    const [{ id: diskId }] = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable) VALUES ($1, $2, 'QCOW2', true) RETURNING id`,
      [domainId, alias],
    );
    const { id } = ok<any>(await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId })).sparsifyDisk;
    await stack.gateway.services.queues.get(domainId).obliterate({ force: true }); // no worker here anyway
    return { id: id as string, diskId: diskId as string };
  };
  const row = async (id: string) =>
    (
      await stack.db.query(`SELECT state, attempts, host, progress, phase, "actualSizeBefore" FROM sparsify_job WHERE id = $1`, [
        id,
      ])
    )[0];
  const diskStatus = async (id: string) => (await stack.db.query(`SELECT status FROM disk WHERE id = $1`, [id]))[0].status;
  const eventTypes = async (jobId: string) =>
    (await stack.db.query(`SELECT type FROM event WHERE "jobId" = $1 ORDER BY id`, [jobId])).map((e: any) => e.type);

  it("claims an attempt once: a second host reading the same attempt gets nothing", async () => {
    const { id } = await runningJob("claim");
    expect(await store.claimAttempt(id, 0, { state: JobState.RUNNING, host: "host-a" })).toMatchObject({
      attempts: 1,
      host: "host-a",
    });
    expect(await store.claimAttempt(id, 0, { state: JobState.RUNNING, host: "host-b" })).toBeNull();
    expect(await row(id)).toMatchObject({ state: "RUNNING", attempts: 1, host: "host-a" });
  });

  const run = (host: string, progress = 0) => ({
    ...{ phase: "CHECKING" as any, progress, host, startedAt: new Date() },
    startedMessage: `Sparsify started on ${host}`,
  });

  it("claimRun reads and claims in one statement: the row before the claim, the row after, announced", async () => {
    const { id } = await runningJob("claim-run");
    await stack.db.query(`UPDATE sparsify_job SET progress = 5 WHERE id = $1`, [id]);
    const announced = stack.gateway.services.bus.waitFor("job", (m) => m.job.id === id && m.job.state === "RUNNING", 5_000);
    const claimed = await store.claimRun(id, run("host-a"));
    expect(claimed!.seen).toMatchObject({ state: "QUEUED", attempts: 0, host: null, progress: 5, startedAt: null });
    expect(claimed!.running).toMatchObject({ state: "RUNNING", attempts: 1, host: "host-a", progress: 5, phase: "CHECKING" });
    expect(claimed!.running).toEqual(await store.get(id));
    expect(await announced).not.toBeNull();
    // The first run's JOB_STARTED comes with the claim, by the requester; a retry's is not written here.
    const started = async () =>
      await stack.db.query(`SELECT actor, "diskId", message FROM event WHERE "jobId" = $1 AND type = 'JOB_STARTED'`, [id]);
    expect(await started()).toEqual([
      { actor: "test-admin", diskId: claimed!.seen.diskId, message: "Sparsify started on host-a" },
    ]);
    // A retry (seen RUNNING: its worker died) starts its progress over and keeps the first start time.
    const again = await store.claimRun(id, run("host-b"));
    expect(again!.seen).toMatchObject({ state: "RUNNING", attempts: 1, host: "host-a" });
    expect(again!.running).toMatchObject({ attempts: 2, host: "host-b", progress: 0, startedAt: claimed!.running.startedAt });
    expect(await started()).toHaveLength(1);
  });

  it("claimRun claims nothing for a job that ended or has a cancel request", async () => {
    const ended = await runningJob("claim-ended");
    await store.finish(ended.id, { state: JobState.CANCELLED });
    expect(await store.claimRun(ended.id, run("host-a"))).toBeNull();
    const cancelled = await runningJob("claim-cancelled");
    await stack.db.query(`UPDATE sparsify_job SET "cancelRequestedAt" = now() WHERE id = $1`, [cancelled.id]);
    expect(await store.claimRun(cancelled.id, run("host-a"))).toBeNull();
    expect(await row(cancelled.id)).toMatchObject({ state: "QUEUED", attempts: 0 });
    expect(await eventTypes(cancelled.id)).not.toContain("JOB_STARTED");
  });

  it("claimRun: of two hosts that read the same attempt at once, one claims it", async () => {
    const { id } = await runningJob("claim-race");
    // Both claims read attempt 0, then queue on the row lock another transaction holds.
    const runner = stack.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query(`SELECT id FROM sparsify_job WHERE id = $1 FOR UPDATE`, [id]);
    const claims = [store.claimRun(id, run("host-a")), store.claimRun(id, run("host-b"))];
    await expect.poll(() => lockWaiters(stack.db)).toBeGreaterThanOrEqual(2);
    await runner.commitTransaction();
    await runner.release();
    const results = await Promise.all(claims);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await row(id)).toMatchObject({ state: "RUNNING", attempts: 1 });
    expect((await eventTypes(id)).filter((t: string) => t === "JOB_STARTED")).toHaveLength(1);
  });

  it("rejects a stale attempt's progress, RUNNING claim, result and failure after a takeover", async () => {
    const { id, diskId } = await runningJob("takeover");
    await store.claimAttempt(id, 0, { state: JobState.RUNNING, host: "host-a", progress: 10 });
    // host-b takes the job over as attempt 2 (host-a's lease lapsed).
    await store.claimAttempt(id, 1, { state: JobState.RUNNING, host: "host-b", progress: 0 });
    const before = await row(id);

    // host-a comes back and writes what its run of attempt 1 would.
    expect(await store.patchActive(id, { progress: 90, phase: "TRIMMING" as any }, 1)).toBeNull();
    expect(await store.patchActive(id, { actualSizeBefore: 123 }, 1)).toBeNull();
    expect(await store.patchActive(id, { state: JobState.RUNNING, host: "host-a" }, 1)).toBeNull();
    expect(await store.finish(id, { state: JobState.SUCCEEDED, actualSizeAfter: 1 }, 1)).toBeNull();
    expect(await store.finish(id, { state: JobState.FAILED, errorMessage: "late failure" }, 1)).toBeNull();
    expect(await row(id)).toEqual(before);
    expect(await diskStatus(diskId)).toBe("LOCKED");
    expect(await eventTypes(id)).not.toContain("JOB_SUCCEEDED");
    expect(await eventTypes(id)).not.toContain("JOB_FAILED");

    // The current attempt's writes go through, and its ending releases the disk.
    expect(await store.patchActive(id, { progress: 50 }, 2)).toMatchObject({ progress: 50 });
    const ended = await store.finish(id, { state: JobState.SUCCEEDED, actualSizeAfter: 1 }, 2);
    expect(ended).toMatchObject({ state: "SUCCEEDED", host: "host-b" });
    expect(await diskStatus(diskId)).toBe("OK");
  });

  it("records a fence once in the audit trail, even when told twice, and leaves the job row alone", async () => {
    const { id } = await runningJob("fenced");
    await store.claimAttempt(id, 0, { state: JobState.RUNNING, host: "host-a" });
    const before = await row(id);
    const job = (await store.get(id))!;
    const log = pino({ level: "silent" });
    expect(recordFenced(stack.db, "host-a", job, 1, log)).toEqual({ handedBack: true });
    recordFenced(stack.db, "host-a", job, 1, log);
    await expect.poll(() => eventTypes(id), { timeout: 10_000 }).toContain("JOB_FENCED");
    await new Promise((r) => setTimeout(r, 500));
    const fenced = await stack.db.query(`SELECT actor, data FROM event WHERE "jobId" = $1 AND type = 'JOB_FENCED'`, [id]);
    expect(fenced).toEqual([{ actor: "host:host-a", data: { attempt: 1, host: "host-a" } }]);
    expect(await row(id)).toEqual(before);
  });
});

/** The lease is the job's real BullMQ lock in Redis; Redis is reached through a link the test cuts. */
describe("a run's lease", () => {
  const plan = planFence({ stalledIntervalMs: 1, stopBudgetMs: 0 });
  const prefix = `t${randomBytes(5).toString("hex")}`;
  let direct: Redis;
  let link: TcpProxy;
  let viaLink: Redis;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    direct = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const target = new URL(REDIS_URL);
    link = new TcpProxy(await freePort(), { host: target.hostname, port: Number(target.port || 6379) });
    await link.up();
    viaLink = new Redis(link.port, "127.0.0.1", { maxRetriesPerRequest: null, retryStrategy: () => 200 });
    viaLink.on("error", () => {});
  });
  afterAll(async () => {
    await link.up();
    for (const close of closers.reverse()) await close().catch(() => {});
    viaLink?.disconnect();
    await link.down();
    await direct?.quit();
  });

  /** One job on a fresh queue, processed by a worker on the cuttable link until its lease fences. */
  async function leasedJob(name: string) {
    const queueName = `fence-${name}`;
    const queue = new Queue(queueName, { connection: direct, prefix });
    closers.push(
      () => queue.obliterate({ force: true }),
      () => queue.close(),
    );
    let lease!: RunLease;
    let fencedWhy = "";
    const fenced = new Promise<{ at: number; pttl: number }>((resolve) => {
      const worker = new Worker(
        queueName,
        async (job: Job, token?: string) => {
          lease = new RunLease(job, token!, plan, (why) => (fencedWhy = why)).start();
          await once(lease.signal, "abort");
          // What Redis says at the moment of fencing: the lock still exists, nobody could take the job yet.
          const pttl = await direct.pttl(`${prefix}:${queueName}:${job.id}:lock`);
          resolve({ at: lease.sinceRenewal(), pttl });
          lease.stop();
        },
        { connection: viaLink, prefix, lockDuration: plan.lockDurationMs, stalledInterval: plan.lockDurationMs },
      );
      worker.on("error", () => {});
      closers.push(() => worker.close(true));
    });
    await queue.add("run", {});
    await expect.poll(async () => queue.getActiveCount(), { timeout: 10_000 }).toBe(1);
    return { queue, fenced, why: () => fencedWhy, lease: () => lease };
  }

  it("fences when Redis stops answering, while the lock still has at least the margin to live", async () => {
    const { fenced, why, lease } = await leasedJob("cut");
    // Renewals succeed while the link is up: no fence for longer than the fence time.
    await new Promise((r) => setTimeout(r, plan.fenceAfterMs + 1_000));
    expect(lease().signal.aborted).toBe(false);
    await link.down();
    const { at, pttl } = await fenced;
    await link.up();
    expect(lease().signal.reason).toBe(FENCE_REASON);
    expect(why()).toMatch(/no lock renewal succeeded/);
    expect(at).toBeGreaterThanOrEqual(plan.fenceAfterMs);
    expect(at).toBeLessThan(plan.fenceAfterMs + plan.tickMs + 1_000);
    // Earliest takeover = lock expiry at the soonest: still ≥ margin (+ stop budget, 0 here) away.
    expect(pttl).toBeGreaterThan(plan.marginMs / 2);
  }, 30_000);

  it("fences at the next renewal when the lock is no longer this worker's", async () => {
    const { queue, fenced, why } = await leasedJob("lost");
    const [job] = await queue.getActive();
    await direct.del(`${prefix}:fence-lost:${job!.id}:lock`);
    const { at } = await fenced;
    expect(why()).toMatch(/no longer this worker's/);
    expect(at).toBeLessThan(plan.fenceAfterMs);
  }, 30_000);
});
