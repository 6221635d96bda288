import type { Issue } from "./types";

/** Codes the UI adds for failures that never reached GraphQL. */
export const NETWORK = "NETWORK";
export const HTTP = "HTTP";

/** A failed request, with the gateway's `extensions.code` (or NETWORK / HTTP). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The disk's blockers, when the gateway refused with DISK_NOT_SPARSIFIABLE. */
  get blockers(): Issue[] {
    const list = this.extensions.blockers;
    return Array.isArray(list) ? (list as Issue[]) : [];
  }
}

export const asApiError = (error: unknown): ApiError =>
  error instanceof ApiError ? error : new ApiError("UNKNOWN", error instanceof Error ? error.message : String(error));

/**
 * What a person should read. The gateway's own messages are already written for people; this
 * adds what to do next, and replaces the few that are not (internal errors, transport failures).
 */
export function describeError(error: unknown): string {
  const e = asApiError(error);
  switch (e.code) {
    case NETWORK:
      return "Cannot reach the gateway. Check that it is running and that this computer is online, then try again.";
    case HTTP:
      return `The gateway answered with an error (${e.message}). Try again; if it persists, check the gateway's log.`;
    case "UNAUTHENTICATED":
      return `${e.message}. Sign in again with a valid token.`;
    case "FORBIDDEN":
      return `Not allowed: ${e.message}. Ask an administrator for a token with a higher role.`;
    case "RATE_LIMITED": {
      const wait = Number(e.extensions.retryAfterSeconds);
      return Number.isFinite(wait) ? `Too many requests; wait ${wait} s and try again.` : `${e.message}.`;
    }
    case "DISK_NOT_SPARSIFIABLE":
      return e.blockers.length ? `${e.message}:` : `${e.message}.`;
    case "INTERNAL_SERVER_ERROR":
      return "Something went wrong inside the gateway (it logged the details). Try again; if it persists, tell the administrator.";
    case "GRAPHQL_VALIDATION_FAILED":
    case "GRAPHQL_PARSE_FAILED":
      return (
        `This page asked the gateway something it does not understand (${e.message}). Reload the page; ` +
        "the gateway may have been upgraded."
      );
    default:
      return /[.!?]$/.test(e.message) ? e.message : `${e.message}.`;
  }
}
