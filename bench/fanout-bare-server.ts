/**
 * bench:fanout's baseline: a bare graphql-ws server (graphql-ws/use/ws over graphql-js, nothing
 * else) with the same `sparsifyJob(id)` subscription and fields as the gateway, so each event is
 * the same JSON, fed by the same Redis pub/sub message the worker publishes. No auth, no query
 * limits, no rate limit, no database: the current state is the last message seen (first set by
 * the bench over IPC, where the gateway reads PostgreSQL). Argument: `{ redisUrl, channel }` JSON.
 */
import { EventEmitter } from "node:events";
import type { AddressInfo } from "node:net";
import {
  GraphQLError,
  GraphQLFloat,
  GraphQLID,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { BusMessage } from "../src/jobs/queue/event-bus.js";
import type { JobSnapshot } from "../src/jobs/queue/job-snapshot.js";
import { createRedis } from "../src/jobs/queue/redis.js";
import { serveParent } from "./fanout-server-process.js";

const { redisUrl, channel } = JSON.parse(process.argv[2]!) as { redisUrl: string; channel: string };
const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

const current = new Map<string, JobSnapshot>();
const changes = new EventEmitter().setMaxListeners(0);
const redis = createRedis(redisUrl, "bench-fanout-bare");
redis.on("message", (from: string, raw: string) => {
  if (from !== channel) return;
  const message = JSON.parse(raw) as BusMessage;
  if (message.type !== "job") return;
  current.set(message.job.id, message.job);
  changes.emit(message.job.id, message.job);
});
await redis.subscribe(channel);

/**
 * The changes of one job as a plain async iterator: a queue while nobody waits, one pending read
 * while nothing came. Not `events.on`: on Node 20 it preallocates two 2,048-slot queues per call
 * (~35 KB a subscriber), which would make the baseline's memory, not the gateway's, the outlier.
 */
function changesOf(id: string): AsyncIterableIterator<JobSnapshot> {
  const queued: JobSnapshot[] = [];
  let waiting: ((result: IteratorResult<JobSnapshot>) => void) | null = null;
  const push = (job: JobSnapshot) => {
    if (!waiting) return void queued.push(job);
    const resolve = waiting;
    waiting = null;
    resolve({ value: job, done: false });
  };
  changes.on(id, push);
  return {
    next: () =>
      queued.length ? Promise.resolve({ value: queued.shift()!, done: false }) : new Promise((resolve) => (waiting = resolve)),
    return: () => {
      changes.off(id, push);
      waiting?.({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** The current state, then every change until a terminal state. */
async function* follow(id: string): AsyncGenerator<JobSnapshot> {
  const first = current.get(id);
  if (!first) throw new GraphQLError(`No job ${id}`);
  const later = changesOf(id);
  try {
    yield first;
    if (TERMINAL.has(first.state)) return;
    for await (const job of later) {
      yield job;
      if (TERMINAL.has(job.state)) return;
    }
  } finally {
    await later.return!();
  }
}

const text = { type: GraphQLString };
const JobError = new GraphQLObjectType({
  name: "JobError",
  fields: { code: { type: new GraphQLNonNull(GraphQLString) }, message: { type: new GraphQLNonNull(GraphQLString) } },
});
const SparsifyJob = new GraphQLObjectType<JobSnapshot>({
  name: "SparsifyJob",
  fields: {
    id: { type: new GraphQLNonNull(GraphQLID) },
    state: { type: new GraphQLNonNull(GraphQLString) },
    phase: { type: new GraphQLNonNull(GraphQLString) },
    progress: { type: new GraphQLNonNull(GraphQLInt) },
    host: text,
    actualSizeBefore: { type: GraphQLFloat },
    actualSizeAfter: { type: GraphQLFloat },
    reclaimedBytes: {
      type: GraphQLFloat,
      resolve: (j) =>
        j.actualSizeBefore !== null && j.actualSizeAfter !== null && j.finishedAt ? j.actualSizeBefore - j.actualSizeAfter : null,
    },
    outcome: text,
    outcomeMessage: text,
    error: {
      type: JobError,
      resolve: (j) => (j.errorCode ? { code: j.errorCode, message: j.errorMessage ?? j.errorCode } : null),
    },
  },
});
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLString, resolve: () => "ok" } } }),
  subscription: new GraphQLObjectType({
    name: "Subscription",
    fields: {
      sparsifyJob: {
        type: SparsifyJob,
        args: { id: { type: new GraphQLNonNull(GraphQLID) } },
        subscribe: (_root, args: { id: string }) => follow(args.id),
        resolve: (job: JobSnapshot) => job,
      },
    },
  }),
});

// Same socket limits as the gateway's WebSocket server; no HTTP routes besides the upgrade.
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/graphql", maxPayload: 256 * 1024 });
await new Promise<void>((resolve) => wss.once("listening", resolve));
const server = useServer({ schema }, wss);

serveParent(
  { wsUrl: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/graphql`, token: null },
  async () => {
    await server.dispose();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    redis.disconnect();
  },
  (job) => current.set(job.id, job),
);
