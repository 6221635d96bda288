/**
 * bench:queue — latency from the `sparsifyDisk` mutation to the job seen RUNNING on the
 * `sparsifyJobEvents` subscription, against the true floor: a raw script doing the same durable
 * work (one transaction: lock the disk, insert the job, mark the disk; BullMQ add; the worker goes
 * active, writes RUNNING and publishes on Redis pub/sub; a subscriber sees it). Alternating.
 * Target: p50 gateway/floor ≤ 1.5×. Raw BullMQ alone (add → active) stays as a reference line.
 *
 * The gateway job must not run virt-sparsify (13 s): the disk's image is moved out of the domain
 * after the scan, so the worker's pre-check ends the job FAILED with IMAGE_NOT_FOUND right after
 * RUNNING, which releases the disk; the inventory still lists it, so it can be requested again.
 */
import "reflect-metadata";
import { randomBytes, randomUUID } from "node:crypto";
import { EventEmitter, once } from "node:events";
import { rename } from "node:fs/promises";
import path from "node:path";
import { Queue, Worker, type Job } from "bullmq";
import pg from "pg";
import { execa } from "execa";
import { createRedis } from "../src/jobs/queue/redis.js";
import { codeOf, ok, startStack } from "../test/support/stack.js";
import { wsClient } from "../test/support/ws.js";
import { spawnWorker } from "../test/support/worker-process.js";
import { waitFor } from "../test/support/wait-for.js";
import { countStatements } from "./statement-counter.js";
import { addBenchDomain } from "./bench-domain.js";
import { deleteKeysUnder } from "./redis-keys.js";
import { ms, percentile, timeIt } from "./stats.js";
import { httpPoster } from "./http-post.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const WARMUP = 5;
const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELLED"];

/** One side's round: the measured latency and where it went. */
interface Sample {
  ms: number;
  /** Start → `queue.add` called. */
  toAdd: number;
  /** Job created → taken by a worker, from BullMQ's own ms stamps (`processedOn − timestamp`). */
  toActive: number;
  /** SQL statements sent by this process (gateway and worker) before `queue.add`, and until RUNNING was seen. */
  statementsBeforeAdd: number;
  statements: number;
}

// Count every statement at the driver, as bench:disks does: it explains where gateway time goes.
const counter = countStatements();

/** Arrivals, timestamped on receipt; `wait` resolves with the first matching one. */
class Arrivals<T> {
  private readonly seen: { at: number; key: string; value: T }[] = [];
  private readonly emitter = new EventEmitter();

  push(key: string, value: T, at = performance.now()): void {
    this.seen.push({ at, key, value });
    this.emitter.emit("arrival");
  }

  all(key: string): T[] {
    return this.seen.filter((a) => a.key === key).map((a) => a.value);
  }

  async wait(key: string, match: (value: T) => boolean, timeoutMs = 30_000): Promise<{ at: number; value: T }> {
    const signal = AbortSignal.timeout(timeoutMs);
    for (;;) {
      const hit = this.seen.find((a) => a.key === key && match(a.value));
      if (hit) return hit;
      await once(this.emitter, "arrival", { signal }).catch(() => {
        throw new Error(`no matching arrival for ${key} within ${timeoutMs} ms`);
      });
    }
  }
}

/**
 * BENCH_WORKER=process: the host worker runs in a process of its own (`main.js worker`, as a fleet's
 * hosts run it) instead of inside the gateway's process (`npm start`). The client stays in this one.
 */
const WORKER_APART = process.env.BENCH_WORKER === "process";
const stack = await startStack({ worker: !WORKER_APART });
const apartWorker = WORKER_APART ? spawnWorker(stack.config, stack.config.HOST_NAME, { WORKER_CONCURRENCY: "2" }) : null;
if (apartWorker)
  await waitFor(async () => ok<any>(await stack.gql("{ hosts { name online } }")).hosts.some((h: any) => h.online), {
    timeout: 60_000,
    what: "the worker process to register",
  });
console.log(
  `host worker: ${WORKER_APART ? "a process of its own (BENCH_WORKER=process)" : "in the gateway's process (as npm start)"}`,
);
const client = wsClient(stack.wsUrl, stack.token);
const rawPrefix = `bench-raw-${randomBytes(4).toString("hex")}`;
const rawConnections = [
  createRedis(stack.config.REDIS_URL, "bench-raw-queue"),
  createRedis(stack.config.REDIS_URL, "bench-raw-worker"),
];
const rawQueue = new Queue("raw", { connection: rawConnections[0]!, prefix: rawPrefix });
const rawEvents = new Arrivals<"active" | "completed">();
// The stack worker's options; only the processor differs.
const rawWorker = new Worker("raw", async () => {}, {
  connection: rawConnections[1]!,
  prefix: rawPrefix,
  concurrency: 2,
  stalledInterval: stack.config.STALLED_INTERVAL_MS,
  lockDuration: Math.max(stack.config.STALLED_INTERVAL_MS, 5_000),
  maxStalledCount: 1,
});
rawWorker.on("active", (job: Job) => rawEvents.push(job.id!, "active"));
rawWorker.on("completed", (job: Job) => rawEvents.push(job.id!, "completed"));
// The floor: the same durable work in plain pg + BullMQ + PUBLISH, no gateway around it.
const floorDb = new pg.Client({ connectionString: stack.databaseUrl });
const floorWorkerDb = new pg.Client({ connectionString: stack.databaseUrl });
await Promise.all([floorDb.connect(), floorWorkerDb.connect()]);
const floorConnections = [
  createRedis(stack.config.REDIS_URL, "bench-floor-queue"),
  createRedis(stack.config.REDIS_URL, "bench-floor-worker"),
  createRedis(stack.config.REDIS_URL, "bench-floor-sub"),
];
const floorQueue = new Queue("floor", { connection: floorConnections[0]!, prefix: rawPrefix });
const floorChannel = `${rawPrefix}:floor-events`;
const floorSeen = new Arrivals<"RUNNING">();
await floorConnections[2]!.subscribe(floorChannel);
floorConnections[2]!.on("message", (_channel: string, message: string) => floorSeen.push(JSON.parse(message).id, "RUNNING"));
const floorWorker = new Worker(
  "floor",
  async (job: Job) => {
    await floorWorkerDb.query(
      `UPDATE sparsify_job SET state = 'RUNNING', phase = 'CHECKING', "startedAt" = now(), attempts = attempts + 1 WHERE id = $1`,
      [job.data.jobId],
    );
    await floorConnections[0]!.publish(floorChannel, JSON.stringify({ id: job.data.jobId, state: "RUNNING" }));
  },
  {
    connection: floorConnections[1]!,
    prefix: rawPrefix,
    concurrency: 2,
    stalledInterval: stack.config.STALLED_INTERVAL_MS,
    lockDuration: Math.max(stack.config.STALLED_INTERVAL_MS, 5_000),
    maxStalledCount: 1,
  },
);
let unsubscribe = () => {};
let failed = false;

try {
  const domain = await addBenchDomain(stack, "queue");
  const image = path.join(domain.dir, "probe.qcow2");
  const parked = path.join(stack.root, "probe.qcow2.parked");
  await execa("qemu-img", ["create", "-q", "-f", "qcow2", image, "64M"]);
  await domain.scan();
  const diskId = await domain.diskId("probe");
  await rename(image, parked);
  // The gateway's own Queue instance for the domain (created once, cached): note when add() is called.
  const gatewayQueue = stack.gateway.services.queues.get(domain.id);
  let addCalled = { at: NaN, statements: NaN };
  const originalAdd = gatewayQueue.add.bind(gatewayQueue);
  gatewayQueue.add = ((...args: Parameters<typeof originalAdd>) => {
    addCalled = { at: performance.now(), statements: counter.count };
    return originalAdd(...args);
  }) as typeof gatewayQueue.add;

  const jobEvents = new Arrivals<any>();
  const statementsAtRunning = new Map<string, number>();
  unsubscribe = client.subscribe(
    {
      query: `subscription($d: ID!) { sparsifyJobEvents(filter: { diskId: $d }) { id state error { code message } } }`,
      variables: { d: diskId },
    },
    {
      next: (v) => {
        const job = (v.data as { sparsifyJobEvents?: any } | null | undefined)?.sparsifyJobEvents;
        if (job?.state === "RUNNING") statementsAtRunning.set(job.id, counter.count);
        if (job) jobEvents.push(job.id, job);
        else console.error("subscription error", v.errors);
      },
      error: (e) => console.error("subscription failed", e),
      complete: () => {},
    },
  );

  let restores = 0;
  /** Puts the image back and rescans: only if the disk stopped being requestable. */
  const requestable = async () => {
    await rename(parked, image);
    await domain.scan();
    await rename(image, parked);
    restores++;
  };

  const gateway = async (): Promise<{ sample: Sample; states: string[]; error: any }> => {
    const [t0, s0] = [performance.now(), counter.count];
    const result = await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id state } }`, { d: diskId });
    if (codeOf(result) === "DISK_NOT_SPARSIFIABLE")
      throw new Error(`disk not requestable again: ${JSON.stringify(result.errors![0].extensions)}`);
    const { id } = ok<any>(result).sparsifyDisk;
    const running = await jobEvents.wait(id, (j) => j.state === "RUNNING");
    const ended = await jobEvents.wait(id, (j) => TERMINAL.includes(j.state));
    const bull = (await gatewayQueue.getJob(id))!;
    const states = jobEvents.all(id).map((j) => j.state as string);
    const sample = {
      ms: running.at - t0,
      toAdd: addCalled.at - t0,
      toActive: bull.processedOn! - bull.timestamp,
      statementsBeforeAdd: addCalled.statements - s0,
      statements: statementsAtRunning.get(id)! - s0,
    };
    return { sample, states, error: ended.value.error };
  };

  const raw = async (n: number): Promise<Sample> => {
    const t0 = performance.now();
    const job = await rawQueue.add("noop", { n }, { removeOnComplete: 1000, removeOnFail: 1000 });
    const active = await rawEvents.wait(job.id!, (e) => e === "active");
    await rawEvents.wait(job.id!, (e) => e === "completed");
    const done = (await rawQueue.getJob(job.id!))!;
    return { ms: active.at - t0, toAdd: 0, toActive: done.processedOn! - done.timestamp, statementsBeforeAdd: 0, statements: 0 };
  };

  // The floor's own disk row in the same database (not an image: the floor never reads one).
  const {
    rows: [{ id: floorDisk }],
  } = await floorDb.query(
    `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable, "actualSize") VALUES ($1, 'floor', 'QCOW2', true, 1) RETURNING id`,
    [domain.id],
  );
  const floor = async (): Promise<number> => {
    const t0 = performance.now();
    const jobId = randomUUID();
    await floorDb.query("BEGIN");
    await floorDb.query(`SELECT id FROM disk WHERE id = $1 FOR UPDATE`, [floorDisk]);
    await floorDb.query(
      `INSERT INTO sparsify_job (id, "diskId", "storageDomainId", "requestedBy") VALUES ($1, $2, $3, 'bench')`,
      [jobId, floorDisk, domain.id],
    );
    await floorDb.query(`UPDATE disk SET status = 'LOCKED', sparsifiable = false WHERE id = $1`, [floorDisk]);
    await floorDb.query("COMMIT");
    await floorQueue.add("sparsify", { jobId }, { jobId, removeOnComplete: 1000, removeOnFail: 1000 });
    const seen = await floorSeen.wait(jobId, () => true);
    const took = seen.at - t0;
    // Untimed: end the job and free the disk for the next round.
    await floorDb.query(`UPDATE sparsify_job SET state = 'SUCCEEDED', "finishedAt" = now() WHERE id = $1`, [jobId]);
    await floorDb.query(`UPDATE disk SET status = 'OK', sparsifiable = true WHERE id = $1`, [floorDisk]);
    return took;
  };

  // Warm both sides; the first gateway round also shows what the job actually does.
  for (let i = 0; i < WARMUP; i++) {
    const first = await gateway();
    if (i === 0) {
      const { disk } = ok<any>(
        await stack.gql(`query($d: ID!) { disk(id: $d) { status sparsifiable sparsifyBlockers { code } } }`, { d: diskId }),
      );
      console.log(
        `gateway job: ${first.states.join(" → ")} (${first.error?.code}: ${first.error?.message}); disk ` +
          `afterwards ${disk.status}, sparsifiable ${disk.sparsifiable}`,
      );
    }
    if (first.error?.code !== "IMAGE_NOT_FOUND") throw new Error(`expected IMAGE_NOT_FOUND, got ${JSON.stringify(first.error)}`);
    await raw(-1 - i);
    await floor();
  }

  // Floor of the HTTP side alone: an authenticated query that touches nothing.
  const httpFloor = () => timeIt(async () => ok(await stack.gql(`{ __typename }`)));
  const lean = httpPoster(stack.url, stack.token);
  const httpFloorLean = () => timeIt(async () => ok(await lean(`{ __typename }`)));
  for (let i = 0; i < WARMUP; i++) {
    await httpFloor();
    await httpFloorLean();
  }

  const gatewaySamples: Sample[] = [];
  const rawSamples: Sample[] = [];
  const floorSamples: number[] = [];
  const leanSamples: number[] = [];
  const durableFloor: number[] = [];
  const gatewayRound = async () => {
    const round = await gateway().catch(async (error: Error) => {
      if (!error.message.startsWith("disk not requestable")) throw error;
      await requestable();
      return gateway();
    });
    if (round.error?.code !== "IMAGE_NOT_FOUND") throw new Error(`expected IMAGE_NOT_FOUND, got ${JSON.stringify(round.error)}`);
    gatewaySamples.push(round.sample);
  };
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate so drift (caches, the other core) hits both sides alike.
    if (i % 2 === 0) {
      await gatewayRound();
      rawSamples.push(await raw(i));
    } else {
      rawSamples.push(await raw(i));
      await gatewayRound();
    }
    floorSamples.push(await httpFloor());
    leanSamples.push(await httpFloorLean());
    durableFloor.push(await floor());
  }

  const p = (samples: Sample[], key: keyof Sample, q: number) =>
    percentile(
      samples.map((s) => s[key]),
      q,
    );
  const [g50, g99, r50, r99] = [
    p(gatewaySamples, "ms", 50),
    p(gatewaySamples, "ms", 99),
    p(rawSamples, "ms", 50),
    p(rawSamples, "ms", 99),
  ];
  console.log(
    `sparsifyDisk → RUNNING (subscription) : p50 ${ms(g50)}  p99 ${ms(g99)}  (${ROUNDS} rounds, ${restores} image restores)`,
  );
  const [f50, f99] = [percentile(durableFloor, 50), percentile(durableFloor, 99)];
  console.log(`floor: tx + add → active → RUNNING + publish seen: p50 ${ms(f50)}  p99 ${ms(f99)}`);
  console.log(
    `ratio p50 gateway / floor             : ${(g50 / f50).toFixed(2)}× (target ≤ 1.5×) ${g50 / f50 <= 1.5 ? "MET" : "NOT MET"}`,
  );
  console.log(`reference: raw BullMQ add → active    : p50 ${ms(r50)}  p99 ${ms(r99)} (gateway/raw ${(g50 / r50).toFixed(2)}×)`);
  const split = (samples: Sample[]) => {
    const [add, active, total] = [p(samples, "toAdd", 50), p(samples, "toActive", 50), p(samples, "ms", 50)];
    return `start → queue.add ${ms(add)}, added → active ${active} ms (BullMQ stamps), active → seen ${ms(total - add - active)}`;
  };
  console.log(
    `HTTP floor: { __typename } with token : p50 ${ms(percentile(floorSamples, 50))}  p99 ${ms(percentile(floorSamples, 99))}`,
  );
  console.log(
    `  the same through node:http (keep-alive): p50 ${ms(percentile(leanSamples, 50))}  p99 ${ms(percentile(leanSamples, 99))} ` +
      "(the rest of the fetch figure is the client's own cost, in this process)",
  );
  console.log(
    `SQL statements until RUNNING seen     : p50 ${p(gatewaySamples, "statements", 50)}, of which ` +
      `${p(gatewaySamples, "statementsBeforeAdd", 50)} before queue.add ` +
      `(${WORKER_APART ? "the gateway's only" : "gateway and worker, one process"})`,
  );
  console.log(`where it goes (p50)                   : gateway: ${split(gatewaySamples)}`);
  console.log(`                                        raw    : ${split(rawSamples)}`);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  unsubscribe();
  await client.dispose();
  await rawWorker.close();
  await floorWorker.close();
  await floorQueue.obliterate({ force: true }).catch(() => {});
  await floorQueue.close();
  floorConnections.forEach((c) => c.disconnect());
  await floorDb.end().catch(() => {});
  await floorWorkerDb.end().catch(() => {});
  await rawQueue.obliterate({ force: true }).catch(() => {});
  await rawQueue.close();
  rawConnections.forEach((c) => c.disconnect());
  apartWorker?.kill("SIGTERM");
  await apartWorker;
  await stack.close();
  await deleteKeysUnder(stack.config.REDIS_URL, rawPrefix);
  await deleteKeysUnder(stack.config.REDIS_URL, stack.config.QUEUE_PREFIX);
}
process.exit(failed ? 1 : 0);
