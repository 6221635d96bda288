import type http from "node:http";
import { GraphQLError, type GraphQLSchema } from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import type { Config } from "../config.js";
import type { Principal } from "../domain/roles.js";
import { ErrorCode } from "../errors.js";
import type { EventBus } from "../jobs/queue/event-bus.js";
import type { GatewayContext } from "../resolvers/context.js";
import type { TokenService } from "../services/token.service.js";
import type { OperationPipeline } from "./operation-pipeline.js";
import { keepSocketsAlive } from "./multiplex/keepalive.js";
import { multiplexedSubscribe } from "./multiplex/multiplexed-subscribe.js";
import { subscriptionKey } from "./multiplex/subscription-key.js";
import { isOriginAllowed } from "./security/origin.js";
import { connectionParam } from "./security/connection-params.js";

/** Our close codes, beside graphql-ws's own (4403 Forbidden, 4400 BadRequest, …). */
export const WS_UNAUTHORIZED = 4401;
/**
 * Too many: failed authentications from the address, or sockets of the token
 * (MAX_SOCKETS_PER_TOKEN); the reason says which. graphql-ws clients do not retry it.
 */
export const WS_TOO_MANY = 4429;

type Extra = {
  socket: WebSocket;
  request: http.IncomingMessage;
  principal?: Principal;
};

export interface WebSocketDeps {
  httpServer: http.Server;
  path: string;
  schema: GraphQLSchema;
  config: Config;
  tokens: TokenService;
  /** The same pipeline as HTTP: auth, limits, rate limits, error coding. */
  pipeline: OperationPipeline;
  bus: EventBus;
  log: Logger;
  makeContext: (principal: Principal) => GatewayContext;
  /** Bytes a socket may leave unsent before its progress updates are coalesced (tests lower it). */
  slowConsumerBytes?: number;
  /** A subscription's context for one event (fresh DataLoaders). */
  forEvent: (context: GatewayContext, event: unknown) => GatewayContext;
  /** The client's address (X-Forwarded-For only from a proxy TRUST_PROXY trusts). */
  clientAddress: (request: http.IncomingMessage) => string;
}

/**
 * graphql-ws on the HTTP server's port and path, with the same rules as HTTP (the operation
 * pipeline): Origin allow-list (4403), a token in connectionParams.authorization (4401), query
 * limits, per-token rate limits. Sockets of a revoked or expired token are closed at once.
 * Subscriptions are multiplexed: one execution per distinct subscription and event, one
 * serialized frame for all of its sockets, slow sockets coalesced (see multiplexedSubscribe).
 */
export function attachWebSocket(d: WebSocketDeps) {
  const wss = new WebSocketServer({ server: d.httpServer, path: d.path, maxPayload: 256 * 1024 });
  // ws re-emits the HTTP server's errors (EADDRINUSE…); listen() reports them, so none is unhandled here.
  wss.on("error", () => {});
  const socketsByToken = new Map<string, Set<WebSocket>>();
  const toClient = (error: GraphQLError, requestError: boolean) => d.pipeline.toClient(error, requestError);
  // One context per role for the shared executions: a subscription's result may depend on the
  // caller's role and on nothing else of the caller (see subscriptionKey).
  const roleContexts = new Map<Principal["role"], GatewayContext>();
  const roleContext = (role: Principal["role"]) => {
    let context = roleContexts.get(role);
    if (!context)
      roleContexts.set(role, (context = d.makeContext({ tokenId: null, name: `${role} subscribers`, role, expiresAt: null })));
    return context;
  };
  const multiplex = multiplexedSubscribe<GatewayContext>({
    sharedContext: (route, event) => d.forEvent(roleContext(route.role as Principal["role"]), event),
    toClient: (error) => toClient(error, true),
    highWater: d.slowConsumerBytes,
  });
  const closeToken = (tokenId: string, reason: string) => {
    for (const socket of socketsByToken.get(tokenId) ?? []) socket.close(WS_UNAUTHORIZED, reason);
  };
  const offRevoked = d.bus.on("token-revoked", ({ tokenId }) => closeToken(tokenId, "Token revoked"));

  const cleanup = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: d.schema,
      subscribe: multiplex.subscribe,
      onConnect: async (ctx) => {
        const { request, socket } = ctx.extra;
        if (!isOriginAllowed(request.headers.origin, request.headers.host, d.config.ALLOWED_ORIGINS)) {
          d.log.warn({ origin: request.headers.origin }, "websocket from a forbidden origin");
          socket.close(CloseCode.Forbidden, "Origin not allowed");
          return false;
        }
        const auth = await d.pipeline.authenticate(
          connectionParam(ctx.connectionParams, "authorization"),
          d.clientAddress(request),
        );
        if (auth.principal === null && auth.reason === "rate-limited") {
          socket.close(WS_TOO_MANY, `Too many failed authentications from this address; retry in ${auth.retryAfterSeconds} s`);
          return false;
        }
        if (!auth.principal) {
          socket.close(
            WS_UNAUTHORIZED,
            auth.reason === "invalid"
              ? "Invalid, revoked or expired token"
              : 'Unauthorized: send connectionParams.authorization ("Bearer <token>")',
          );
          return false;
        }
        const principal = auth.principal;
        ctx.extra.principal = principal;
        if (principal.tokenId) {
          const set = socketsByToken.get(principal.tokenId) ?? new Set();
          if (set.size >= d.config.MAX_SOCKETS_PER_TOKEN) {
            socket.close(
              WS_TOO_MANY,
              `Too many WebSockets for this token (MAX_SOCKETS_PER_TOKEN=${d.config.MAX_SOCKETS_PER_TOKEN}); share one socket`,
            );
            return false;
          }
          set.add(socket);
          socketsByToken.set(principal.tokenId, set);
          // setTimeout caps at ~24.8 days: re-arm until the real expiry.
          let timer: NodeJS.Timeout | null = null;
          const arm = () => {
            const left = principal.expiresAt!.getTime() - Date.now();
            if (left <= 0) return void socket.close(WS_UNAUTHORIZED, "Token expired");
            timer = setTimeout(arm, Math.min(left, 2 ** 31 - 1));
          };
          if (principal.expiresAt) arm();
          socket.once("close", () => {
            if (timer) clearTimeout(timer);
            set.delete(socket);
            if (set.size === 0) socketsByToken.delete(principal.tokenId!);
          });
        }
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const principal = ctx.extra.principal!;
        if (principal.expiresAt && principal.expiresAt.getTime() <= Date.now()) {
          ctx.extra.socket.close(WS_UNAUTHORIZED, "Token expired");
          return [new GraphQLError("The API token expired", { extensions: { code: ErrorCode.UNAUTHENTICATED } })];
        }
        // graphql-ws has already registered this one in ctx.subscriptions.
        if (Object.keys(ctx.subscriptions).length > d.config.MAX_SUBSCRIPTIONS_PER_SOCKET) {
          return [
            new GraphQLError(
              `This WebSocket already runs ${d.config.MAX_SUBSCRIPTIONS_PER_SOCKET} operations ` +
                "(MAX_SUBSCRIPTIONS_PER_SOCKET); complete some first",
              { extensions: { code: ErrorCode.TOO_MANY_SUBSCRIPTIONS, limit: d.config.MAX_SUBSCRIPTIONS_PER_SOCKET } },
            ),
          ];
        }
        const prepared = await d.pipeline.prepare("ws", principal, d.clientAddress(ctx.extra.request), payload);
        if (Array.isArray(prepared)) return prepared;
        const { document } = prepared;
        const contextValue = d.makeContext(principal);
        if (prepared.operation.operation === "subscription") {
          const { query, operationName, variables } = payload;
          const key = subscriptionKey({ query, operationName, variables, role: principal.role });
          multiplex.route(contextValue, { socket: ctx.extra.socket, id, key, role: principal.role });
        }
        return {
          schema: d.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
      },
      // Without these, WebSocket clients saw raw messages: no code on bad variables, internals on bugs.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => toClient(e, true)) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => toClient(e, false)),
    },
    wss,
    // graphql-ws's keepalive (one interval per socket) would drop a slow reader whose pong is late.
    0,
  );
  const stopKeepalive = keepSocketsAlive(wss);

  // A lost bus message must not keep a revoked token's sockets open for long: re-check them.
  const recheck = setInterval(async () => {
    for (const tokenId of socketsByToken.keys()) {
      if (
        !(await d.tokens
          .stillValid({ tokenId, name: "", role: "viewer" as Principal["role"], expiresAt: null })
          .catch(() => true))
      )
        closeToken(tokenId, "Token revoked");
    }
  }, 30_000);
  recheck.unref();

  return {
    wss,
    /** The frame writer of a server-side socket (tests look at its coalescing). */
    writerOf: multiplex.writerOf,
    /** Closes every socket with 1001 Going Away (graceful shutdown). */
    async dispose() {
      clearInterval(recheck);
      stopKeepalive();
      offRevoked();
      await cleanup.dispose();
      wss.close();
    },
  };
}
