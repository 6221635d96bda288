import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import { createPubSub } from "@graphql-yoga/subscription";
import express from "express";
import { useServer } from "graphql-ws/use/ws";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import { WebSocketServer } from "ws";
import type { Config } from "../config.js";
import { EventBus } from "../jobs/event-bus.js";
import { bridgeBusToPubSub, type JobPubSub } from "../jobs/job-stream.js";
import { QueueRegistry } from "../jobs/queue-registry.js";
import { createRedis } from "../jobs/redis.js";
import type { GatewayContext, GatewayServices } from "../resolvers/context.js";
import { createLoaders } from "../resolvers/loaders.js";
import { DiskService } from "../services/disk.service.js";
import { Reconciler } from "../services/reconciler.js";
import { SparsifyService } from "../services/sparsify.service.js";
import { StorageDomainService } from "../services/storage-domain.service.js";
import { VmService } from "../services/vm.service.js";
import { makeFormatError } from "./format-error.js";
import { graphiqlHandler } from "./graphiql.js";
import { buildGatewaySchema } from "./schema.js";

export interface Gateway {
  url: string;
  port: number;
  services: GatewayServices;
  reconciler: Reconciler;
  close(): Promise<void>;
}

const GRAPHQL_PATH = "/graphql";

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** HTTP + WebSocket on one port: GraphQL, GraphiQL, /healthz, /readyz. */
export async function startGateway(config: Config, db: DataSource, log: Logger): Promise<Gateway> {
  const redis: Redis = createRedis(config.REDIS_URL, "gateway");
  const subscriber: Redis = createRedis(config.REDIS_URL, "gateway-sub");
  for (const r of [redis, subscriber]) r.on("error", (e) => log.warn({ err: e.message }, "redis connection error"));
  const bus = new EventBus(redis, subscriber, config.QUEUE_PREFIX);
  await bus.start();
  const queues = new QueueRegistry(redis, config.QUEUE_PREFIX);
  const base = { config, db, queues, bus };
  const pubSub: JobPubSub = createPubSub();
  const unbridge = bridgeBusToPubSub(bus, pubSub);
  const services: GatewayServices = {
    ...base,
    pubSub,
    domains: new StorageDomainService(base),
    disks: new DiskService(base),
    vms: new VmService(base),
    sparsify: new SparsifyService(base),
  };
  const schema = await buildGatewaySchema(pubSub);
  const context = (actor: string): GatewayContext => ({ services, loaders: createLoaders(db), actor });

  const app = express();
  app.disable("x-powered-by");
  const httpServer = http.createServer(app);
  const wss = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const wsCleanup = useServer({ schema, context: () => context("anonymous") }, wss);

  const apollo = new ApolloServer<GatewayContext>({
    schema,
    formatError: makeFormatError(log),
    introspection: config.NODE_ENV !== "production",
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      { serverWillStart: async () => ({ drainServer: async () => void (await wsCleanup.dispose()) }) },
    ],
  });
  await apollo.start();

  app.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  app.get("/readyz", async (_req, res) => {
    const check = async (name: string, probe: () => Promise<unknown>) => {
      try {
        await withTimeout(probe(), 2_000);
        return [name, "ok"] as const;
      } catch (error) {
        return [name, `unreachable: ${(error as Error).message}`] as const;
      }
    };
    const results = Object.fromEntries(await Promise.all([check("postgres", () => db.query("SELECT 1")), check("redis", () => redis.ping())]));
    const ready = Object.values(results).every((v) => v === "ok");
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", ...results });
  });
  if (config.NODE_ENV !== "production") app.get(GRAPHQL_PATH, graphiqlHandler(GRAPHQL_PATH));
  app.use(GRAPHQL_PATH, express.json({ limit: "256kb" }), expressMiddleware(apollo, { context: async () => context("anonymous") }));

  await new Promise<void>((resolve) => httpServer.listen(config.PORT, config.BIND_ADDRESS, resolve));
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}${GRAPHQL_PATH}`;
  const reconciler = new Reconciler(base, log);
  reconciler.start(config.RECONCILE_INTERVAL_MS);
  log.info({ url, graphiql: config.NODE_ENV !== "production" }, "gateway listening");

  return {
    url,
    port,
    services,
    reconciler,
    async close() {
      reconciler.stop();
      unbridge();
      await apollo.stop();
      wss.close();
      await bus.close();
      await queues.close();
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
