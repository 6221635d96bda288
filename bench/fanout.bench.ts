/**
 * bench:fanout — 1,000 and (separately) 5,000 WebSocket subscribers on one job's `sparsifyJob`
 * while a worker publishes progress the real way (JobStore: PostgreSQL, then the Redis bus), next
 * to a bare graphql-ws server fed the same bus messages, alternating in the same run. Headline:
 * the fan-out, an event's publication → its last subscriber, p99, gateway/bare (target ≤ 0.8× at
 * 5,000), with the server's CPU per delivered message (target ≤ 0.8×); also the skew from the
 * first to the last subscriber (p50/p99), memory per subscriber, and every event in order.
 *
 * Then the slow-consumer case: the largest size again while a CPU burner uses 1.5 of the
 * machine's cores. No socket may be dropped and every transition must arrive in order; progress
 * updates a slow socket skipped (coalesced to the latest) are counted, not failed.
 *
 * Each server runs in a child process of its own (its memory and CPU are its own); the clients
 * run here, one graphql-ws socket per subscriber, as one browser tab has one. BENCH_SUBSCRIBERS
 * (default "1000,5000"), BENCH_ROUNDS (2), BENCH_BURNER_CORES (1.5; 0 skips the case), BENCH_WAVE (250);
 * BENCH_CPU_PROF=<dir> writes each server's V8 CPU profile.
 */
import "reflect-metadata";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../src/config.js";
import { EventBus } from "../src/jobs/queue/event-bus.js";
import { toSnapshot } from "../src/jobs/queue/job-snapshot.js";
import { createRedis } from "../src/jobs/queue/redis.js";
import { openDatabase } from "../src/server/database.js";
import { JobStore } from "../src/services/job-store.js";
import { createTestDatabase, REDIS_URL } from "../test/support/stack.js";
import { startCpuBurner } from "./cpu-burner.js";
import { cpuSnapshot, othersBetween } from "./cpu-share.js";
import { expectedStates, runJob, seedJobFixture, startRunningJob } from "./fanout-job.js";
import { ServerProcess } from "./fanout-server-process.js";
import { Subscribers } from "./fanout-subscribers.js";
import { deleteKeysUnder } from "./redis-keys.js";
import { ms, percentile } from "./stats.js";

const SIZES = (process.env.BENCH_SUBSCRIBERS ?? "1000,5000").split(",").map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BURNER_CORES = Number(process.env.BENCH_BURNER_CORES ?? 1.5);
const EVENTS = 20;
const INTERVAL_MS = 100;
/** Subscriptions opened at once while connecting (the listen backlog is 511); BENCH_WAVE lowers it on a crowded machine. */
const WAVE = Number(process.env.BENCH_WAVE ?? 250);
/** Before each measured round, a small one with the same server: JIT warm, first-use caches filled. */
const WARMUP = { subscribers: 50, events: 5, intervalMs: 20 };
const KINDS = ["bare", "gateway"] as const;
type Kind = (typeof KINDS)[number];

interface Round {
  n: number;
  kind: Kind;
  skewsMs: number[];
  /** Per event: publication → the last subscriber's receipt. */
  lagsMs: number[];
  /** The end's publication → the last stream's `complete`. */
  completeMs: number;
  inOrder: boolean;
  problems: string[];
  /** Streams that ended without `complete` (closed socket, error). */
  dropped: number;
  /** `next` messages after the current state, over all subscribers (fewer than sent: coalesced). */
  received: number;
  connectMs: number;
  heapPerSubscriber: number;
  rssPerSubscriber: number;
  /** Server CPU (user, system) from the first update until every stream completed, per message delivered. */
  cpuUserPerMessage: number;
  cpuSystemPerMessage: number;
  /** That window's length, and the server's CPU over it (1 = one core all the time). */
  deliveryMs: number;
  serverCpuShare: number;
  /** This process's event-loop utilisation over the same window: near 1 means the clients, not the server, set the pace. */
  clientElu: number;
  /** Share of the machine's cores that everything else (Redis, PostgreSQL, other people's work) used then. */
  othersShare: number;
  payloadBytes: number;
}

const openFilesLimit = Number(/Max open files\s+(\d+)/.exec(await readFile("/proc/self/limits", "utf8"))?.[1] ?? 1024);
const needed = Math.max(...SIZES) + 500;
if (openFilesLimit < needed)
  throw new Error(
    `bench:fanout needs ${needed} open files per process (one socket per subscriber); ulimit -n is ${openFilesLimit}: ` +
      `raise it (ulimit -n ${needed}) and run again`,
  );

const runId = randomBytes(4).toString("hex");
const prefixes = { gateway: `benchfanout${runId}gw`, bare: `benchfanout${runId}bare` };
const database = await createTestDatabase();
const gatewayEnv: Record<string, string> = {
  NODE_ENV: "test",
  PORT: "0",
  BIND_ADDRESS: "127.0.0.1",
  DATABASE_URL: database.url,
  REDIS_URL,
  QUEUE_PREFIX: prefixes.gateway,
  STORAGE_ROOTS: "/tmp",
  LOG_LEVEL: "silent",
  // The bench's jobs run on no real worker: keep the reconciler from ending them as lost.
  RECONCILE_INTERVAL_MS: "3600000",
  HOST_OFFLINE_AFTER_MS: "3600000",
  // One token opens 5,000 subscriptions within seconds; the default 500/s would throttle the ramp, which is not what is measured.
  RATE_LIMIT_SUBSCRIPTIONS_PER_SECOND: "1000000",
  // One socket per subscriber, all with one token: 5,000 sockets (default cap 20 per token).
  MAX_SOCKETS_PER_TOKEN: "1000000",
  MAX_SUBSCRIPTIONS_PER_SOCKET: "1000000",
};
const db = await openDatabase(loadConfig(gatewayEnv).DATABASE_URL);
const publisher = createRedis(REDIS_URL, "bench-fanout-worker");
// The worker only publishes: the bus's subscriber connection is never started, so it can be the same one.
const stores: Record<Kind, JobStore> = {
  gateway: new JobStore(db, new EventBus(publisher, publisher, prefixes.gateway)),
  bare: new JobStore(db, new EventBus(publisher, publisher, prefixes.bare)),
};
const fixture = await seedJobFixture(db);

const startServer = (kind: Kind) =>
  kind === "gateway"
    ? ServerProcess.start("gateway", "fanout-gateway-server", gatewayEnv)
    : ServerProcess.start("bare", "fanout-bare-server", { redisUrl: REDIS_URL, channel: `${prefixes.bare}:events` });

/** One job watched by `n` subscribers on `server`, from connecting to the last stream's end. */
async function exercise(
  server: ServerProcess,
  kind: Kind,
  n: number,
  events: number,
  intervalMs: number,
  coalesced = false,
): Promise<Round> {
  const job = await startRunningJob(db, stores[kind], fixture);
  if (kind === "bare") await server.setCurrent(toSnapshot(job));
  const idle = await server.sample(true);
  const subscribers = new Subscribers();
  try {
    const t0 = performance.now();
    await subscribers.open(server.wsUrl, server.token, job.id, n, WAVE, 120_000);
    const connectMs = performance.now() - t0;
    const subscribed = await server.sample(true);
    const [elu, t1, machine] = [performance.eventLoopUtilization(), performance.now(), await cpuSnapshot()];
    const publishedAt = await runJob(stores[kind], job.id, events, intervalMs);
    const settled = await subscribers.settled(30_000);
    const [clientElu, deliveryMs] = [performance.eventLoopUtilization(elu).utilization, performance.now() - t1];
    const { others } = othersBetween(machine, await cpuSnapshot());
    const delivered = await server.sample(false);
    const messages = n * (events + 1);
    const [user, system] = [
      delivered.cpuUserMicros - subscribed.cpuUserMicros,
      delivered.cpuSystemMicros - subscribed.cpuSystemMicros,
    ];
    const delivery = subscribers.delivery(expectedStates(events), publishedAt, coalesced);
    if (!settled) delivery.problems.unshift("not every stream completed within 30 s of the job's end");
    return {
      n,
      kind,
      ...delivery,
      inOrder: delivery.inOrder && settled,
      connectMs,
      heapPerSubscriber: (subscribed.heapUsed - idle.heapUsed) / n,
      rssPerSubscriber: (subscribed.rss - idle.rss) / n,
      cpuUserPerMessage: user / messages,
      cpuSystemPerMessage: system / messages,
      deliveryMs,
      serverCpuShare: (user + system) / 1000 / deliveryMs,
      // `others` still holds the server child's CPU: it is alive, so not in this process's reaped-children time.
      othersShare: Math.max(0, others - (user + system) / 1e6) / (deliveryMs / 1000) / os.availableParallelism(),
      clientElu,
      payloadBytes: Buffer.byteLength(subscribers.sample.json ?? ""),
    };
  } finally {
    await subscribers.close();
  }
}

/**
 * This machine is shared (other people's tests boot qemu): before a round, wait up to 15 s for a
 * second in which the rest of the machine uses under a quarter of it. Each round reports its share.
 */
async function quietMachine(): Promise<void> {
  const deadline = performance.now() + 15_000;
  for (let told = false; ; told = true) {
    const before = await cpuSnapshot();
    await sleep(1_000);
    const share = othersBetween(before, await cpuSnapshot()).others / os.availableParallelism();
    if (share < 0.25) return;
    if (performance.now() > deadline)
      return void console.log(`  (other work still uses ${(share * 100).toFixed(0)} % of the machine; going on)`);
    if (!told) console.log(`  (waiting: other work uses ${(share * 100).toFixed(0)} % of the machine)`);
  }
}

/** A fresh server process per round, so RSS before subscribing is not left over from a bigger round. */
async function round(kind: Kind, n: number, burnCores = 0): Promise<Round> {
  const server = await startServer(kind);
  try {
    const warm = await exercise(server, kind, WARMUP.subscribers, WARMUP.events, WARMUP.intervalMs);
    if (!warm.inOrder) throw new Error(`${kind} warm-up delivered out of order: ${warm.problems.join("; ")}`);
    if (!burnCores) return await exercise(server, kind, n, EVENTS, INTERVAL_MS);
    const burner = await startCpuBurner(burnCores);
    try {
      return await exercise(server, kind, n, EVENTS, INTERVAL_MS, true);
    } finally {
      await burner.stop();
    }
  } finally {
    await server.stop();
  }
}

const bytes = (n: number) => `${Math.round(n).toLocaleString("en-US")} B`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Drops what the run made; once, whether the run ends, fails or is interrupted. */
let cleaned: Promise<void> | null = null;
const cleanUp = () =>
  (cleaned ??= (async () => {
    publisher.disconnect();
    await db.destroy().catch(() => {});
    await database.drop();
    await deleteKeysUnder(REDIS_URL, prefixes.gateway);
    await deleteKeysUnder(REDIS_URL, prefixes.bare);
  })());
// Server processes exit by themselves when this one goes (IPC disconnect); the database and keys would not.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

/** Contaminated rounds are repeated only while the whole run stays within about five minutes. */
const RETRY_BUDGET_MS = 150_000;
const started = performance.now();
const rounds: Round[] = [];
let failed = false;
try {
  console.log(
    `${EVENTS} progress updates ${INTERVAL_MS} ms apart + SUCCEEDED per round; ${ROUNDS} rounds per size and server, alternating; ` +
      `one socket per subscriber (ulimit -n ${openFilesLimit})`,
  );
  console.log(
    `gateway: RATE_LIMIT_SUBSCRIPTIONS_PER_SECOND=1000000 (default 500 would throttle the ramp), ` +
      `MAX_SOCKETS_PER_TOKEN=1000000 (one socket per subscriber), viewer token; bare: graphql-ws/use/ws + graphql-js, no auth`,
  );
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, n] of SIZES.entries()) {
      // Alternate which server goes first, so drift (the other core, Redis, PostgreSQL) hits both alike.
      for (const kind of (r + i) % 2 === 0 ? KINDS : [...KINDS].reverse()) {
        await quietMachine();
        let result = await round(kind, n);
        if (result.othersShare > 0.25 && performance.now() - started < RETRY_BUDGET_MS) {
          // Someone's work started mid-round: run it once more and keep the cleaner of the two.
          console.log(
            `  (round ${r + 1} N=${n} ${kind}: other work used ${(result.othersShare * 100).toFixed(0)} % ` +
              `of the machine; running it again)`,
          );
          await quietMachine();
          const again = await round(kind, n);
          if (again.othersShare < result.othersShare) result = again;
        }
        rounds.push(result);
        const skews = result.skewsMs.filter(Number.isFinite);
        console.log(
          `  round ${r + 1} N=${n} ${kind.padEnd(7)}: connect ${(result.connectMs / 1000).toFixed(1)} s, ` +
            `skew p50 ${ms(percentile(skews, 50))} max ${ms(Math.max(...skews))}, ` +
            `publish → last max ${ms(Math.max(...result.lagsMs))}, → all complete ${ms(result.completeMs)}, ` +
            `heap/sub ${bytes(result.heapPerSubscriber)}, RSS/sub ${bytes(result.rssPerSubscriber)}, ` +
            `CPU/msg ${result.cpuUserPerMessage.toFixed(1)} µs user + ${result.cpuSystemPerMessage.toFixed(1)} µs sys ` +
            `(${(result.serverCpuShare * 100).toFixed(0)} % of a core over ${(result.deliveryMs / 1000).toFixed(1)} s), ` +
            `client loop ${(result.clientElu * 100).toFixed(0)} % busy, ` +
            `rest of machine ${(result.othersShare * 100).toFixed(0)} %, in order ${result.inOrder ? "yes" : "NO"}`,
        );
        for (const problem of result.problems) console.log(`    ${problem}`);
      }
    }
  }

  const summary = (n: number, kind: Kind) => {
    const mine = rounds.filter((r) => r.n === n && r.kind === kind);
    const skews = mine.flatMap((r) => r.skewsMs).filter(Number.isFinite);
    const lags = mine.flatMap((r) => r.lagsMs).filter(Number.isFinite);
    return {
      p50: percentile(skews, 50),
      p99: percentile(skews, 99),
      lag50: percentile(lags, 50),
      lag99: percentile(lags, 99),
      heap: mean(mine.map((r) => r.heapPerSubscriber)),
      rss: mean(mine.map((r) => r.rssPerSubscriber)),
      cpu: mean(mine.map((r) => r.cpuUserPerMessage + r.cpuSystemPerMessage)),
      inOrder: mine.every((r) => r.inOrder),
      busy: Math.max(...mine.map((r) => r.othersShare)),
      events: skews.length,
      payload: mine[0]!.payloadBytes,
    };
  };
  const columns = [
    "N",
    "server",
    "skew p50",
    "skew p99",
    "fan-out p50",
    "fan-out p99",
    "heap/sub",
    "RSS/sub",
    "CPU/msg",
    "in order",
  ];
  const widths = [5, 7, 10, 10, 11, 11, 10, 10, 9, 8];
  const row = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(`\n${row(columns)}`);
  for (const n of SIZES) {
    for (const kind of KINDS) {
      const s = summary(n, kind);
      console.log(
        row([
          String(n),
          kind,
          ms(s.p50),
          ms(s.p99),
          ms(s.lag50),
          ms(s.lag99),
          bytes(s.heap),
          bytes(s.rss),
          `${s.cpu.toFixed(1)} µs`,
          s.inOrder ? "yes" : "NO",
        ]),
      );
    }
  }
  console.log(
    `skew: first → last subscriber receiving one event; fan-out: the event's publication → its last subscriber; ` +
      `per subscriber: growth from idle to all subscribed, after GC; CPU: server, per message delivered`,
  );
  console.log("");
  for (const n of SIZES) {
    const [g, b] = [summary(n, "gateway"), summary(n, "bare")];
    const [fanout, cpu] = [g.lag99 / b.lag99, g.cpu / b.cpu];
    const target = n === Math.max(...SIZES) ? " (target ≤ 0.8×: " : " (";
    console.log(
      `N=${n}: gateway/bare publish → last p99 ${fanout.toFixed(2)}×${target}${fanout <= 0.8 ? "met" : "NOT met"}), ` +
        `CPU/msg ${cpu.toFixed(2)}×${target}${cpu <= 0.8 ? "met" : "NOT met"}), ` +
        `in order: ${g.inOrder && b.inOrder ? "yes" : "NO"}; p50 fan-out ${(g.lag50 / b.lag50).toFixed(2)}×, ` +
        `p99 skew ${(g.p99 / b.p99).toFixed(2)}×, heap/sub ${(g.heap / b.heap).toFixed(2)}×, ` +
        `RSS/sub ${(g.rss / b.rss).toFixed(2)}×; ${g.events} + ${b.events} events, payload ${g.payload} B vs ${b.payload} B`,
    );
    const busiest = Math.max(g.busy, b.busy);
    if (busiest > 0.15)
      console.log(
        `  note: other work used up to ${(busiest * 100).toFixed(0)} % of the machine during a round of N=${n}; ` +
          `its figures are less trustworthy`,
      );
  }

  if (BURNER_CORES > 0) {
    const n = Math.max(...SIZES);
    console.log(
      `\nslow consumers: N=${n} while a CPU burner uses ${BURNER_CORES} of ${os.availableParallelism()} cores ` +
        `(progress may be coalesced; transitions must all arrive)`,
    );
    for (const kind of KINDS) {
      // One server failing here (a crowded machine can starve it past the bench's own timeouts) must not hide the other's result.
      const r = await round(kind, n, BURNER_CORES).catch((error: Error) => {
        console.log(`  ${kind.padEnd(7)}: did not finish: ${error.message}`);
        if (kind === "gateway") failed = true;
        return null;
      });
      if (!r) continue;
      const sent = n * (EVENTS + 1);
      const lags = r.lagsMs.filter(Number.isFinite);
      console.log(
        `  ${kind.padEnd(7)}: dropped sockets ${r.dropped}, ` +
          `transitions in order ${r.inOrder ? "yes" : "NO"}, received ${r.received} of ${sent} updates ` +
          `(${(((sent - r.received) / sent) * 100).toFixed(1)} % coalesced), publish → last p99 ${ms(percentile(lags, 99))}, ` +
          `→ all complete ${ms(r.completeMs)}, server ${(r.serverCpuShare * 100).toFixed(0)} % of a core`,
      );
      for (const problem of r.problems) console.log(`    ${problem}`);
      if (kind === "gateway" && (r.dropped > 0 || !r.inOrder)) failed = true;
    }
  }
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await cleanUp();
}
process.exit(failed ? 1 : 0);
