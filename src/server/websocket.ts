import type http from "node:http";
import { GraphQLError, getOperationAST, parse, specifiedRules, validate, type GraphQLSchema, type ValidationRule } from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import type { Config } from "../config.js";
import type { Principal } from "../domain/roles.js";
import { ErrorCode } from "../errors.js";
import type { EventBus } from "../jobs/event-bus.js";
import type { GatewayContext } from "../resolvers/context.js";
import type { TokenService } from "../services/token.service.js";
import { authenticate } from "./security/authenticate.js";
import { isOriginAllowed } from "./security/origin.js";
import type { RateLimits } from "./security/rate-limits.js";

/** Our close codes, beside graphql-ws's own (4403 Forbidden, 4400 BadRequest, …). */
export const WS_UNAUTHORIZED = 4401;

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
  limitRules: ValidationRule[];
}

/**
 * graphql-ws on the HTTP server's port and path, with the same rules as HTTP: Origin allow-list
 * (4403), a token in connectionParams.authorization (4401), query limits, per-token rate limits.
 * Sockets of a revoked or expired token are closed at once.
 */
export function attachWebSocket(d: WebSocketDeps) {
  const wss = new WebSocketServer({ server: d.httpServer, path: d.path, maxPayload: 256 * 1024 });
  const socketsByToken = new Map<string, Set<WebSocket>>();
  const rules = [...specifiedRules, ...d.limitRules];
  const closeToken = (tokenId: string, reason: string) => {
    for (const socket of socketsByToken.get(tokenId) ?? []) socket.close(WS_UNAUTHORIZED, reason);
  };
  const offRevoked = d.bus.on("token-revoked", ({ tokenId }) => closeToken(tokenId, "Token revoked"));

  const cleanup = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: d.schema,
      onConnect: async (ctx) => {
        const { request, socket } = ctx.extra;
        if (!isOriginAllowed(request.headers.origin, request.headers.host, d.config.ALLOWED_ORIGINS)) {
          d.log.warn({ origin: request.headers.origin }, "websocket from a forbidden origin");
          socket.close(CloseCode.Forbidden, "Origin not allowed");
          return false;
        }
        const auth = await authenticate(d.config, d.tokens, ctx.connectionParams?.authorization);
        if (!auth.principal) {
          socket.close(WS_UNAUTHORIZED, auth.reason === "invalid" ? "Invalid, revoked or expired token" : "Unauthorized: send connectionParams.authorization");
          return false;
        }
        const principal = auth.principal;
        ctx.extra.principal = principal;
        if (principal.tokenId) {
          const set = socketsByToken.get(principal.tokenId) ?? new Set();
          set.add(socket);
          socketsByToken.set(principal.tokenId, set);
          const expiresIn = principal.expiresAt ? principal.expiresAt.getTime() - Date.now() : null;
          const timer = expiresIn !== null ? setTimeout(() => socket.close(WS_UNAUTHORIZED, "Token expired"), Math.min(expiresIn, 2 ** 31 - 1)) : null;
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
        let document;
        try {
          document = parse(payload.query, { maxTokens: d.config.MAX_QUERY_TOKENS });
        } catch (error) {
          return [new GraphQLError((error as Error).message, { extensions: { code: "GRAPHQL_PARSE_FAILED" } })];
        }
        const errors = validate(d.schema, document, rules);
        if (errors.length) return errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: "GRAPHQL_VALIDATION_FAILED", ...e.extensions } }));
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError("Unknown or ambiguous operation", { extensions: { code: ErrorCode.BAD_USER_INPUT } })];
        try {
          await d.rateLimits.consume(operation.operation, principal.tokenId ?? principal.name);
        } catch (error) {
          return [error as GraphQLError];
        }
        return { schema: d.schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: d.makeContext(principal) };
      },
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
