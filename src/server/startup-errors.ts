import { redact } from "./infra-errors.js";

/**
 * A start-up failure an operator can fix: the message is one line, the cause in words and then
 * the fix. The CLIs print it alone (no stack) and exit 1.
 */
export class StartupError extends Error {
  override readonly name = "StartupError";
}

const START_HINT = "start it (`docker compose up -d postgres redis`)";

interface DriverError {
  code?: string;
  message?: string;
  errors?: DriverError[];
}

/** The first errno/SQLSTATE code in an error or its nested `errors` (AggregateError from net). */
function codeOf(error: unknown): string {
  const e = error as DriverError | undefined;
  if (!e) return "";
  if (e.code) return e.code;
  return (e.errors ?? []).map(codeOf).find(Boolean) ?? "";
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";

/** Words for socket-level failures, shared by PostgreSQL and Redis. */
function networkCause(code: string, host: string): string | null {
  switch (code) {
    case "ECONNREFUSED":
      return `nothing accepts connections at ${host} (connection refused)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the host name in ${host} does not resolve`;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `${host} does not answer (${code.toLowerCase()})`;
    default:
      return null;
  }
}

/** One line for a PostgreSQL connection failure at start, or null when it is not one we know. */
export function describePostgresError(url: string, error: unknown): string | null {
  const u = new URL(url);
  const where = `PostgreSQL at ${u.host}`;
  const user = decodeURIComponent(u.username || "postgres");
  const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || user;
  const code = codeOf(error);
  const message = firstLine(error);
  const network = networkCause(code, u.host);
  if (network) return `${where} is not reachable: ${network}. Fix: ${START_HINT}, or set DATABASE_URL (now ${redact(url)}).`;
  if (code === "28P01" || /password authentication failed/i.test(message)) {
    return `${where} rejected the password of user "${user}". Fix: put the right password in DATABASE_URL ` + `(postgres://${user}:PASSWORD@${u.host}/${database}).`;
  }
  if (/client password must be a string|password.*required/i.test(message)) {
    return `${where} asks user "${user}" for a password and DATABASE_URL gives none. Fix: ` + `DATABASE_URL=postgres://${user}:PASSWORD@${u.host}/${database}.`;
  }
  if (code === "28000" && /role .* does not exist/i.test(message)) {
    return `${where} has no user "${user}". Fix: use an existing user in DATABASE_URL (the default is ` + `postgres), or create it: createuser -h ${u.hostname} -U postgres ${user}.`;
  }
  if (code === "28000" && /pg_hba/i.test(message)) {
    return `${where} refuses connections from this address for user "${user}" (no pg_hba.conf entry). Fix: ` + "allow it in pg_hba.conf, or connect through 127.0.0.1 in DATABASE_URL.";
  }
  if (code === "3D000") {
    return `${where} has no database "${database}". Fix: check the name in DATABASE_URL (now ` + `${redact(url)}), create it (createdb -h ${u.hostname} -U ${user} ${database}), or start with ` + "--create-db (CREATE_DATABASE=true).";
  }
  if (code === "42501" && /create database/i.test(message)) {
    return `${where}: user "${user}" may not create database "${database}". Fix: create it as a superuser ` + `(createdb -O ${user} ${database}).`;
  }
  return null;
}

/** One line for a Redis failure at start, or null when it is not one we know. */
export function describeRedisError(url: string, error: unknown): string | null {
  const u = new URL(url);
  const where = `Redis at ${u.host}`;
  const code = codeOf(error);
  const message = firstLine(error);
  const network = networkCause(code, u.host);
  if (network) return `${where} is not reachable: ${network}. Fix: ${START_HINT}, or set REDIS_URL (now ${redact(url)}).`;
  if (/NOAUTH|WRONGPASS|invalid password|AUTH.*without any password/i.test(message)) {
    return `${where} refused the credentials in REDIS_URL (${message.replace(/^ReplyError: /, "")}). Fix: ` + `REDIS_URL=redis://:PASSWORD@${u.host}.`;
  }
  if (/Connection is closed|ECONNRESET|Parse error|Protocol error/i.test(`${message} ${code}`)) {
    return `${where} accepted the connection but did not answer as Redis does (is another service on that ` + `port?). Fix: point REDIS_URL at a Redis server (now ${redact(url)}).`;
  }
  return null;
}
