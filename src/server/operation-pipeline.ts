import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from "graphql";
import { introspectionEnabled, type Config } from "../config.js";
import type { Principal } from "../domain/roles.js";
import { ErrorCode } from "../errors.js";
import type { TokenService } from "../services/token.service.js";
import { authenticate, type AuthResult } from "./security/authenticate.js";
import { queryLimitRules, tokenLimitError } from "./security/query-limits.js";
import type { RateLimits } from "./security/rate-limits.js";
import { rootFieldCount } from "./security/root-fields.js";
import { illFormedTextPath } from "./security/well-formed-text.js";

export type Transport = "http" | "ws";

/** What a client sends, on either transport. */
export interface OperationRequest {
  query: unknown;
  variables?: unknown;
  operationName?: string | null;
}

export interface PreparedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
}

export interface PipelineDeps {
  config: Config;
  schema: GraphQLSchema;
  tokens: TokenService;
  rateLimits: RateLimits;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

/**
 * The one path every operation takes, whichever transport carries it: authentication, the token
 * limit, parsing, validation with the query limits, the operation's own guards (well-formed text,
 * subscriptions only where they can run), the per-token rate limit and the client-facing error
 * coding. HTTP runs the steps from Apollo's hooks (Apollo parses and validates with
 * `validationRules`), WebSocket runs them all in `prepare`; each rule exists once, here, so both
 * answer the same code for the same request.
 */
export class OperationPipeline {
  /** The query limits; Apollo adds graphql-js's rules and its introspection rule itself. */
  readonly limitRules: ValidationRule[];
  private readonly allRules: ValidationRule[];

  constructor(private readonly d: PipelineDeps) {
    this.limitRules = queryLimitRules(d.config);
    this.allRules = [
      ...specifiedRules,
      ...(introspectionEnabled(d.config) ? [] : [NoSchemaIntrospectionCustomRule]),
      ...this.limitRules,
    ];
  }

  /**
   * Bearer value → principal, with the failed-authentication limit keyed by `address`. `defer`:
   * see AuthGuard.deferForCachedToken (the caller then awaits `blockedFor` before execution).
   */
  authenticate(authorization: unknown, address: string, defer = false): Promise<AuthResult> {
    return authenticate(this.d.config, this.d.tokens, authorization, {
      limits: this.d.rateLimits,
      address,
      deferForCachedToken: defer,
    });
  }

  /** TOO_MANY_TOKENS before parsing (the parser's own limit says only "Syntax Error"). */
  tokenLimit(query: unknown): GraphQLError | null {
    return tokenLimitError(query, this.d.config.MAX_QUERY_TOKENS);
  }

  /**
   * Checks of a resolved operation: a subscription only over WebSocket (over HTTP it would run once
   * without an event and fail as an internal error), and variables that can be stored as sent.
   */
  guard(transport: Transport, operation: OperationDefinitionNode, variables: unknown): GraphQLError | null {
    if (transport === "http" && operation.operation === "subscription") {
      return new GraphQLError("Subscriptions are served over WebSocket (graphql-transport-ws) on this path, not over HTTP", {
        extensions: { code: "BAD_REQUEST" },
      });
    }
    const bad = illFormedTextPath(variables);
    if (!bad) return null;
    return new GraphQLError(`${bad} is not well-formed Unicode (a lone surrogate)`, {
      extensions: { code: ErrorCode.BAD_USER_INPUT },
    });
  }

  /** Who pays for a call: the token, else the principal's name, else the anonymous address. */
  rateKey(principal: Principal | null, address: string | undefined): string {
    return principal?.tokenId ?? principal?.name ?? `anon:${address ?? "?"}`;
  }

  /** Spends one point per root field for the operation's kind; throws RATE_LIMITED. */
  charge(principal: Principal | null, address: string | undefined, document: DocumentNode, operation: OperationDefinitionNode) {
    const points = rootFieldCount(document, operation);
    return this.d.rateLimits.consume(operation.operation, this.rateKey(principal, address), points);
  }

  /** Every step for a transport without a GraphQL server of its own: errors, or what to execute. */
  async prepare(
    transport: Transport,
    principal: Principal | null,
    address: string | undefined,
    request: OperationRequest,
  ): Promise<PreparedOperation | GraphQLError[]> {
    const tooManyTokens = this.tokenLimit(request.query);
    if (tooManyTokens) return [tooManyTokens];
    if (typeof request.query !== "string") {
      return [new GraphQLError("The request has no query string", { extensions: { code: ErrorCode.BAD_USER_INPUT } })];
    }
    let document: DocumentNode;
    try {
      document = parse(request.query, { maxTokens: this.d.config.MAX_QUERY_TOKENS });
    } catch (error) {
      return [new GraphQLError((error as Error).message, { extensions: { code: "GRAPHQL_PARSE_FAILED" } })];
    }
    const errors = validate(this.d.schema, document, this.allRules);
    if (errors.length) {
      const code = "GRAPHQL_VALIDATION_FAILED";
      return errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code, ...e.extensions } }));
    }
    const operation = getOperationAST(document, request.operationName);
    if (!operation)
      return [new GraphQLError("Unknown or ambiguous operation", { extensions: { code: ErrorCode.BAD_USER_INPUT } })];
    const refused = this.guard(transport, operation, request.variables);
    if (refused) return [refused];
    try {
      await this.charge(principal, address, document, operation);
    } catch (error) {
      return [error as GraphQLError];
    }
    return { document, operation };
  }

  /**
   * An error as the client sees it. `requestError`: raised before execution (bad variables), which
   * graphql-js reports with neither a code nor a path; Apollo calls those BAD_USER_INPUT on HTTP.
   */
  toClient(error: GraphQLError, requestError: boolean): GraphQLFormattedError {
    const json = error.toJSON();
    const untyped = requestError && !json.extensions?.code && !error.path;
    const typed = untyped ? { ...json, extensions: { ...json.extensions, code: ErrorCode.BAD_USER_INPUT } } : json;
    return this.d.formatError(typed, error);
  }

  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    return this.d.formatError(formatted, error);
  }
}
