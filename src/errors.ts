import { GraphQLError } from "graphql";

/** Every code a client can see in `extensions.code`. One enum, part of the API. */
export enum ErrorCode {
  BAD_USER_INPUT = "BAD_USER_INPUT",
  UNAUTHENTICATED = "UNAUTHENTICATED",
  FORBIDDEN = "FORBIDDEN",
  RATE_LIMITED = "RATE_LIMITED",
  NOT_FOUND = "NOT_FOUND",
  CONFLICT = "CONFLICT",
  STORAGE_PATH_INVALID = "STORAGE_PATH_INVALID",
  DISK_NOT_SPARSIFIABLE = "DISK_NOT_SPARSIFIABLE",
  DOMAIN_BUSY = "DOMAIN_BUSY",
  DISK_NOT_MISSING = "DISK_NOT_MISSING",
  JOB_FINISHED = "JOB_FINISHED",
  /** The VM (or its attachments) comes from libvirt: change it there, not here. */
  VM_MANAGED_BY_LIBVIRT = "VM_MANAGED_BY_LIBVIRT",
  QUEUE_UNAVAILABLE = "QUEUE_UNAVAILABLE",
  DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE",
  INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR",
  /** Query limits (extensions carry `limit` and what was found): see src/server/security/query-limits.ts. */
  QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX",
  QUERY_TOO_DEEP = "QUERY_TOO_DEEP",
  TOO_MANY_ALIASES = "TOO_MANY_ALIASES",
  TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES",
  TOO_MANY_TOKENS = "TOO_MANY_TOKENS",
  TOO_MANY_DISKS = "TOO_MANY_DISKS",
  /** MAX_SUBSCRIPTIONS_PER_SOCKET reached on this WebSocket. */
  TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS",
}

/** A client-facing error: always carries a code from {@link ErrorCode}. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }
}

export const notFound = (what: string, id: string) => new AppError(ErrorCode.NOT_FOUND, `${what} ${id} does not exist`);

export const badInput = (message: string, field?: string) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
