import type http from "node:http";
import { GraphQLError, NoSchemaIntrospectionCustomRule, getOperationAST, parse, specifiedRules, validate, type GraphQLFormattedError, type GraphQLSchema, type ValidationRule } from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { introspectionEnabled, type Config } from "../config.js";
import type { Principal } from "../domain/roles.js";
import { ErrorCode } from "../errors.js";
import type { EventBus } from "../jobs/queue/event-bus.js";
import type { GatewayContext } from "../resolvers/context.js";
import type { TokenService } from "../services/token.service.js";
import { authenticate } from "./security/authenticate.js";
import { perEventSubscribe } from "./per-event-subscribe.js";
import { isOriginAllowed } from "./security/origin.js";
import { tokenLimitError } from "./security/query-limits.js";
import { rootFieldCount } from "./security/root-fields.js";
import { illFormedTextPath } from "./security/well-formed-text.js";
import type { RateLimits } from "./security/rate-limits.js";
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
  rateLimits: RateLimits;
  bus: EventBus;
  log: Logger;
  makeContext: (principal: Principal) => GatewayContext;
  /** A subscription's context for one event (fresh DataLoaders). */
  forEvent: (context: GatewayContext, event: unknown) => GatewayContext;
  /** The client's address (X-Forwarded-For only from a proxy TRUST_PROXY trusts). */
  clientAddress: (request: http.IncomingMessage) => string;
  limitRules: ValidationRule[];
  /** The HTTP side's formatError, so both transports show the same client-facing errors. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

/**
 * graphql-ws on the HTTP server's port and path, with the same rules as HTTP: Origin allow-list
 * (4403), a token in connectionParams.authorization (4401), query limits, per-token rate limits.
 * Sockets of a revoked or expired token are closed at once.
 */
export function attachWebSocket(d: WebSocketDeps) {
  const wss = new WebSocketServer({ server: d.httpServer, path: d.path, maxPayload: 256 * 1024 });
  // ws re-emits the HTTP server's errors (EADDRINUSE…); listen() reports them, so none is unhandled here.
  wss.on("error", () => {});
  const socketsByToken = new Map<string, Set<WebSocket>>();
  // Apollo blocks introspection on HTTP when it is off; graphql-ws validates on its own, so add the rule here.
  const rules = [...specifiedRules, ...(introspectionEnabled(d.config) ? [] : [NoSchemaIntrospectionCustomRule]), ...d.limitRules];
  const toClient = (error: GraphQLError, requestError: boolean): GraphQLFormattedError => {
    const json = error.toJSON();
    // graphql-js reports bad variables with neither a code nor a path; HTTP (Apollo) calls them BAD_USER_INPUT.
    const typed = requestError && !json.extensions?.code && !error.path ? { ...json, extensions: { ...json.extensions, code: ErrorCode.BAD_USER_INPUT } } : json;
    return d.formatError(typed, error);
  };
  const closeToken = (tokenId: string, reason: string) => {
    for (const socket of socketsByToken.get(tokenId) ?? []) socket.close(WS_UNAUTHORIZED, reason);
  };
  const offRevoked = d.bus.on("token-revoked", ({ tokenId }) => closeToken(tokenId, "Token revoked"));

  const cleanup = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: d.schema,
      subscribe: perEventSubscribe(d.forEvent),
      onConnect: async (ctx) => {
        const { request, socket } = ctx.extra;
        if (!isOriginAllowed(request.headers.origin, request.headers.host, d.config.ALLOWED_ORIGINS)) {
          d.log.warn({ origin: request.headers.origin }, "websocket from a forbidden origin");
          socket.close(CloseCode.Forbidden, "Origin not allowed");
          return false;
        }
        const auth = await authenticate(d.config, d.tokens, connectionParam(ctx.connectionParams, "authorization"), { limits: d.rateLimits, address: d.clientAddress(request) });
        if (auth.principal === null && auth.reason === "rate-limited") {
          socket.close(WS_TOO_MANY, `Too many failed authentications from this address; retry in ${auth.retryAfterSeconds} s`);
          return false;
        }
        if (!auth.principal) {
          socket.close(WS_UNAUTHORIZED, auth.reason === "invalid" ? "Invalid, revoked or expired token" : "Unauthorized: send connectionParams.authorization (\"Bearer <token>\")");
          return false;
        }
        const principal = auth.principal;
        ctx.extra.principal = principal;
        if (principal.tokenId) {
          const set = socketsByToken.get(principal.tokenId) ?? new Set();
          if (set.size >= d.config.MAX_SOCKETS_PER_TOKEN) {
            socket.close(WS_TOO_MANY, `Too many WebSockets for this token (MAX_SOCKETS_PER_TOKEN=${d.config.MAX_SOCKETS_PER_TOKEN}); share one socket`);
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
      onSubscribe: async (ctx, _id, payload) => {
        const principal = ctx.extra.principal!;
        if (principal.expiresAt && principal.expiresAt.getTime() <= Date.now()) {
          ctx.extra.socket.close(WS_UNAUTHORIZED, "Token expired");
          return [new GraphQLError("The API token expired", { extensions: { code: ErrorCode.UNAUTHENTICATED } })];
        }
        // graphql-ws has already registered this one in ctx.subscriptions.
        if (Object.keys(ctx.subscriptions).length > d.config.MAX_SUBSCRIPTIONS_PER_SOCKET) {
          return [new GraphQLError(`This WebSocket already runs ${d.config.MAX_SUBSCRIPTIONS_PER_SOCKET} operations ` + "(MAX_SUBSCRIPTIONS_PER_SOCKET); complete some first", { extensions: { code: ErrorCode.TOO_MANY_SUBSCRIPTIONS, limit: d.config.MAX_SUBSCRIPTIONS_PER_SOCKET } })];
        }
        const tooManyTokens = tokenLimitError(payload.query, d.config.MAX_QUERY_TOKENS);
        if (tooManyTokens) return [tooManyTokens];
        let document;
        try {
          document = parse(payload.query, { maxTokens: d.config.MAX_QUERY_TOKENS });
        } catch (error) {
          return [new GraphQLError((error as Error).message, { extensions: { code: "GRAPHQL_PARSE_FAILED" } })];
        }
        const errors = validate(d.schema, document, rules);
        if (errors.length) return errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: "GRAPHQL_VALIDATION_FAILED", ...e.extensions } }));
        const illFormed = illFormedTextPath(payload.variables);
        if (illFormed) return [new GraphQLError(`${illFormed} is not well-formed Unicode (a lone surrogate)`, { extensions: { code: ErrorCode.BAD_USER_INPUT } })];
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError("Unknown or ambiguous operation", { extensions: { code: ErrorCode.BAD_USER_INPUT } })];
        try {
          await d.rateLimits.consume(operation.operation, principal.tokenId ?? principal.name, rootFieldCount(document, operation));
        } catch (error) {
          return [error as GraphQLError];
        }
        return { schema: d.schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: d.makeContext(principal) };
      },
      // Without these, WebSocket clients saw raw messages: no code on bad variables, internals on bugs.
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: result.errors.map((e) => toClient(e, true)) } : undefined),
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => toClient(e, false)),
    },
    wss,
  );

  // A lost bus message must not keep a revoked token's sockets open for long: re-check them.
  const recheck = setInterval(async () => {
    for (const tokenId of socketsByToken.keys()) {
      if (!(await d.tokens.stillValid({ tokenId, name: "", role: "viewer" as Principal["role"], expiresAt: null }).catch(() => true))) closeToken(tokenId, "Token revoked");
    }
  }, 30_000);
  recheck.unref();

  return {
    wss,
    /** Closes every socket with 1001 Going Away (graceful shutdown). */
    async dispose() {
      clearInterval(recheck);
      offRevoked();
      await cleanup.dispose();
      wss.close();
    },
  };
}
