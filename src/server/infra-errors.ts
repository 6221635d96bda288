import { parseRedisUrl, redactRedisTarget } from "../redis-url.js";

/**
 * Turns "cannot reach PostgreSQL/Redis" into one line a person can act on instead of a stack
 * trace; anything else is left alone.
 */
const UNREACHABLE = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|Connection terminated|getaddrinfo|connect timeout/i;

export class InfraUnavailableError extends Error {
  constructor(service: "PostgreSQL" | "Redis", url: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    super(
      `${service} is not reachable at ${redact(url)} (${reason}). Start it with \`docker compose up -d ` +
        `postgres redis\`, or set ${service === "PostgreSQL" ? "DATABASE_URL" : "REDIS_URL"}.`,
    );
  }
}

export function isUnreachable(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${(error as NodeJS.ErrnoException).code ?? ""}` : String(error);
  if (UNREACHABLE.test(text)) return true;
  const nested = (error as { errors?: unknown[] })?.errors;
  return Array.isArray(nested) && nested.some(isUnreachable);
}

/** Never print a password from a connection URL (a Sentinel REDIS_URL too, which URL cannot parse). */
export function redact(url: string): string {
  if (/^rediss?\+sentinel:/i.test(url)) {
    try {
      return redactRedisTarget(parseRedisUrl(url));
    } catch {
      return "(a malformed redis+sentinel:// URL)";
    }
  }
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}
