import type { GraphQLFormattedError } from "graphql";
import type { Logger } from "pino";
import { ErrorCode } from "../errors.js";
import { isUnreachable } from "./infra-errors.js";
import { QUERY_LIMIT_CODES } from "./security/query-limits.js";

const OWN_CODES = new Set<string>(Object.values(ErrorCode));
/** Codes graphql-js / Apollo assign to request errors: the client's own doing, shown as they are. */
const REQUEST_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
]);

/** graphql-js's hint, e.g. `Did you mean "name"?`: it names fields, arguments and enum values. */
const SUGGESTION = / ?Did you mean(.+?)\?$/;

/**
 * Typed errors pass through; infrastructure outages become DATABASE_UNAVAILABLE / QUEUE_UNAVAILABLE
 * with a message; anything else is a bug: logged in full, shown to the client without internals.
 * With `hideSuggestions` (introspection off) no message says "Did you mean …?".
 */
export function makeFormatError(log: Logger, opts: { hideSuggestions?: boolean } = {}) {
  return (given: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // Apollo's hideSchemaDetailsFromClientErrors strips validation errors only: a misspelled input
    // field or enum value in variables ("… Did you mean "name"?") and WebSocket errors come here.
    const formatted = opts.hideSuggestions ? { ...given, message: given.message.replace(SUGGESTION, "") } : given;
    const code = String(formatted.extensions?.code ?? "");
    // Apollo's ValidationError overwrites the code of every validation error; a refused limit
    // keeps its own (QUERY_TOO_DEEP, …), carried by the original error.
    const limitCode = (error as { originalError?: { extensions?: { code?: unknown } } })?.originalError?.extensions?.code;
    if (code === "GRAPHQL_VALIDATION_FAILED" && typeof limitCode === "string" && QUERY_LIMIT_CODES.has(limitCode)) {
      return { ...formatted, extensions: { ...formatted.extensions, code: limitCode } };
    }
    if (OWN_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) return formatted;
    if (REQUEST_CODES.has(code)) return formatted;
    const original = (error as { originalError?: unknown })?.originalError ?? error;
    if (isUnreachable(original)) {
      const redis = /redis|ioredis|6379/i.test(String((original as Error)?.stack ?? original));
      return {
        message: redis
          ? "The job queue (Redis) is unreachable; try again shortly"
          : "The database is unreachable; try again shortly",
        path: formatted.path,
        extensions: { code: redis ? ErrorCode.QUEUE_UNAVAILABLE : ErrorCode.DATABASE_UNAVAILABLE },
      };
    }
    log.error({ err: original, path: formatted.path }, "unexpected error in resolver");
    return {
      message: "Internal server error; the gateway logged the details",
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
