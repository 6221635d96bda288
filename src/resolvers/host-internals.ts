import { GraphQLError } from "graphql";
import { UseMiddleware, type MiddlewareFn } from "type-graphql";
import { hasRole, Role } from "../domain/roles.js";
import { redactHostPaths } from "../domain/redact-host-paths.js";
import type { GatewayContext } from "./context.js";

const isAdmin = (context: GatewayContext) => !!context.principal && hasRole(context.principal.role, Role.ADMIN);

const adminOnly: MiddlewareFn<GatewayContext> = async ({ context }, next) => (isAdmin(context) ? next() : null);

const redact = (value: unknown): unknown =>
  typeof value === "string" ? redactHostPaths(value) : Array.isArray(value) ? value.map(redact) : value;

const withoutHostPaths: MiddlewareFn<GatewayContext> = async ({ context }, next) => {
  const value = await next();
  return isAdmin(context) ? value : redact(value);
};

/**
 * Host internals (absolute paths, raw tool output, tool versions) are for admins: for viewers and
 * operators the field is null. Operators run jobs; they act on disks, not on the host's layout.
 * The field must be nullable. README "What viewers do not see" lists every field that has it.
 */
export const AdminOnly = () => UseMiddleware(adminOnly);

/** `text` as `context`'s caller may read it (the sync form, for hot field resolvers). */
export const textFor = (context: GatewayContext, text: string | null | undefined): string | null =>
  // A job fresh from sparsifyDisk has no outcome yet: its text fields are undefined, not null.
  text === null || text === undefined ? null : isAdmin(context) ? text : redactHostPaths(text);

/** Text in words that may quote a host path: non-admins read "[host path]" in its place. */
export const WithoutHostPaths = () => UseMiddleware(withoutHostPaths);

/**
 * A refusal as `context`'s caller may read it: the blockers a DISK_NOT_SPARSIFIABLE error carries
 * in `extensions.blockers` lose their host paths for non-admins, like Disk.blockers.
 */
export function refusalFor(context: GatewayContext, error: unknown): unknown {
  const blockers = error instanceof GraphQLError ? error.extensions.blockers : undefined;
  if (!Array.isArray(blockers) || isAdmin(context)) return error;
  const e = error as GraphQLError;
  const redacted = blockers.map((b: { message?: unknown }) =>
    typeof b?.message === "string" ? { ...b, message: redactHostPaths(b.message) } : b,
  );
  return new GraphQLError(redactHostPaths(e.message), { extensions: { ...e.extensions, blockers: redacted } });
}
