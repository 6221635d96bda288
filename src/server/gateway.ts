import { setMaxListeners } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { expressMiddleware } from "@as-integrations/express5";
import { createPubSub } from "@graphql-yoga/subscription";
import express from "express";
import proxyaddr from "proxy-addr";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import { graphiqlEnabled, introspectionEnabled, type Config } from "../config.js";
import type { Principal } from "../domain/roles.js";
import { EventBus } from "../jobs/queue/event-bus.js";
import { JobFeed } from "../jobs/queue/job-feed.js";
import { bridgeBusToPubSub, type JobPubSub } from "../jobs/queue/job-stream.js";
import { QueueRegistry } from "../jobs/queue/queue-registry.js";
import { createRedis } from "../jobs/queue/redis.js";
import type { GatewayContext, GatewayServices } from "../resolvers/context.js";
import { createLoaders, type Loaders } from "../resolvers/loaders.js";
import { DiskService } from "../services/disk.service.js";
import { ReclaimService } from "../services/reclaim.service.js";
import { Reconciler } from "../services/reconciler.js";
import { ScheduleService } from "../services/schedule.service.js";
import { SparsifyService } from "../services/sparsify.service.js";
import { StorageDomainService } from "../services/storage-domain.service.js";
import { TokenService } from "../services/token.service.js";
import { VmService } from "../services/vm.service.js";
import { bodyErrors } from "./body-errors.js";
import { makeFormatError } from "./format-error.js";
import { graphiqlHandler } from "./graphiql.js";
import { healthRoutes } from "./health.js";
import { listen } from "./listen.js";
import { metricsRoute } from "./metrics-route.js";
import { buildGatewaySchema } from "./schema.js";
import { OperationPipeline } from "./operation-pipeline.js";
import { operationPipelinePlugin } from "./operation-pipeline.plugin.js";
import { CSRF_PREVENTION } from "./security/csrf.js";
import { authRateLimited } from "./security/authenticate.js";
import { refuseTooManyTokens } from "./security/token-limit.middleware.js";
import { RateLimits } from "./security/rate-limits.js";
import { webUi } from "./web-ui.js";
import { attachWebSocket } from "./websocket.js";

export interface Gateway {
  url: string;
  port: number;
  services: GatewayServices;
  reconciler: Reconciler;
  close(): Promise<void>;
}

const GRAPHQL_PATH = "/graphql";

/** HTTP + WebSocket on one port: GraphQL, GraphiQL, /healthz, /readyz, and the web UI at /. */
export async function startGateway(config: Config, db: DataSource, log: Logger): Promise<Gateway> {
  const redis: Redis = createRedis(config.REDIS_URL, "gateway");
  const subscriber: Redis = createRedis(config.REDIS_URL, "gateway-sub");
  for (const r of [redis, subscriber]) r.on("error", (e) => log.warn({ err: e.message }, "redis connection error"));
  const bus = new EventBus(redis, subscriber, config.QUEUE_PREFIX);
  await bus.start();
  const queues = new QueueRegistry(redis, config.QUEUE_PREFIX);
  const base = { config, db, queues, bus };
  // Thousands of subscribers listen on one topic: lift Node's 10-listener leak warning.
  const eventTarget = new EventTarget();
  setMaxListeners(0, eventTarget);
  const pubSub: JobPubSub = createPubSub({ eventTarget });
  const jobFeed = new JobFeed();
  const tokens = new TokenService(db, bus);
  const services: GatewayServices = {
    ...base,
    pubSub,
    jobFeed,
    tokens,
    domains: new StorageDomainService(base),
    disks: new DiskService(base),
    vms: new VmService(base),
    sparsify: new SparsifyService(base),
    reclaim: new ReclaimService(base),
    schedules: new ScheduleService(base),
  };
  const unbridge = bridgeBusToPubSub(
    bus,
    pubSub,
    jobFeed,
    (ids) => services.sparsify.store.getMany(ids),
    (error) => log.warn({ err: error.message }, "followed jobs not read again after the bus reconnected"),
  );

  const schema = await buildGatewaySchema(pubSub);
  const makeContext = (principal: Principal | null, extra: Partial<GatewayContext> = {}): GatewayContext => ({
    services,
    loaders: createLoaders(db),
    principal,
    actor: principal?.name ?? "anonymous",
    ...extra,
  });
  const formatError = makeFormatError(log, { hideSuggestions: !introspectionEnabled(config) });
  const rateLimits = new RateLimits(redis, config);
  // One pipeline (auth, limits, rate limits, error coding) for HTTP and WebSocket alike.
  const pipeline = new OperationPipeline({ config, schema, tokens, rateLimits, formatError });

  const app = express();
  app.disable("x-powered-by");
  // Only a proxy TRUST_PROXY names may set the client address (X-Forwarded-For): it keys the
  // failed-authentication limit, so a client must not choose it.
  app.set("trust proxy", config.TRUST_PROXY);
  const httpServer = http.createServer(app);
  const clientAddress = (request: http.IncomingMessage) => proxyaddr(request, app.get("trust proxy fn"));
  // Loaders live for one event. The bus converts each event to one object, and its subscribers
  // resolve it in the same turn of the event loop: they share one set, so a disk is read once per
  // event, not once per subscriber. The set is dropped after that turn (a WeakMap would keep it as
  // long as each stream holds its last job); a subscriber that resolves later gets a fresh one.
  const eventLoaders = new Map<unknown, Loaders>();
  const forEvent = (context: GatewayContext, event: unknown): GatewayContext => {
    let loaders = eventLoaders.get(event);
    if (!loaders) {
      eventLoaders.set(event, (loaders = createLoaders(db)));
      setImmediate(() => eventLoaders.delete(event));
    }
    return { ...context, loaders };
  };
  const wsDeps = { httpServer, path: GRAPHQL_PATH, schema, config, tokens, pipeline, bus, log };
  const ws = attachWebSocket({ ...wsDeps, makeContext, forEvent, clientAddress });

  const apollo = new ApolloServer<GatewayContext>({
    schema,
    formatError,
    // Stack traces in GraphQL errors are opt-in (DEBUG_ERRORS), not implied by NODE_ENV.
    includeStacktraceInErrorResponses: config.DEBUG_ERRORS,
    introspection: introspectionEnabled(config),
    validationRules: pipeline.limitRules,
    parseOptions: { maxTokens: config.MAX_QUERY_TOKENS },
    // "Did you mean …?" leaks the schema when introspection is off.
    hideSchemaDetailsFromClientErrors: !introspectionEnabled(config),
    allowBatchedHttpRequests: false,
    // main.ts owns shutdown; Apollo's own handler would stop it early and re-raise the signal.
    stopOnTerminationSignals: false,
    csrfPrevention: CSRF_PREVENTION,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      operationPipelinePlugin(pipeline),
      { serverWillStart: async () => ({ drainServer: () => ws.dispose() }) },
    ],
  });
  await apollo.start();

  app.use(healthRoutes(db, redis));
  app.use(metricsRoute(config, services, rateLimits));
  if (graphiqlEnabled(config)) app.get(GRAPHQL_PATH, graphiqlHandler(GRAPHQL_PATH));
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: "256kb" }),
    refuseTooManyTokens((query) => pipeline.tokenLimit(query)),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const clientAddress = req.ip ?? req.socket.remoteAddress ?? "?";
        const auth = await pipeline.authenticate(req.headers.authorization, clientAddress, true);
        if (auth.principal === null && auth.reason === "rate-limited") throw authRateLimited(auth.retryAfterSeconds);
        if (auth.principal === null) return makeContext(null, { clientAddress, authFailure: auth.reason });
        return makeContext(auth.principal, { clientAddress, ...(auth.blockedFor ? { authBlockedFor: auth.blockedFor } : {}) });
      },
    }),
    bodyErrors,
  );
  app.use(webUi());

  try {
    await listen(httpServer, config.PORT, config.BIND_ADDRESS);
  } catch (error) {
    await apollo.stop().catch(() => {});
    unbridge();
    await bus.close().catch(() => {});
    await queues.close().catch(() => {});
    redis.disconnect();
    subscriber.disconnect();
    throw error;
  }
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}${GRAPHQL_PATH}`;
  const reconciler = new Reconciler(base, log);
  reconciler.start(config.RECONCILE_INTERVAL_MS);
  log.info({ url, graphiql: graphiqlEnabled(config), auth: !config.AUTH_DISABLED }, "gateway listening");

  return {
    url,
    port,
    services,
    reconciler,
    /** Drains HTTP, closes WebSockets with 1001, then the Redis connections. */
    async close() {
      reconciler.stop();
      unbridge();
      await apollo.stop();
      await bus.close();
      await queues.close();
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
