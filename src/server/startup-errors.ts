import { describeSentinels, parseRedisUrl, type SentinelTarget } from "../redis-url.js";
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
    return (
      `${where} rejected the password of user "${user}". Fix: put the right password in DATABASE_URL ` +
      `(postgres://${user}:PASSWORD@${u.host}/${database}).`
    );
  }
  if (/client password must be a string|password.*required/i.test(message)) {
    return (
      `${where} asks user "${user}" for a password and DATABASE_URL gives none. Fix: ` +
      `DATABASE_URL=postgres://${user}:PASSWORD@${u.host}/${database}.`
    );
  }
  if (code === "28000" && /role .* does not exist/i.test(message)) {
    return (
      `${where} has no user "${user}". Fix: use an existing user in DATABASE_URL (the default is ` +
      `postgres), or create it: createuser -h ${u.hostname} -U postgres ${user}.`
    );
  }
  if (code === "28000" && /pg_hba/i.test(message)) {
    return (
      `${where} refuses connections from this address for user "${user}" (no pg_hba.conf entry). Fix: ` +
      "allow it in pg_hba.conf, or connect through 127.0.0.1 in DATABASE_URL."
    );
  }
  if (code === "3D000") {
    return (
      `${where} has no database "${database}". Fix: check the name in DATABASE_URL (now ` +
      `${redact(url)}), create it (createdb -h ${u.hostname} -U ${user} ${database}), or start with ` +
      "--create-db (CREATE_DATABASE=true)."
    );
  }
  if (code === "42501" && /create database/i.test(message)) {
    return (
      `${where}: user "${user}" may not create database "${database}". Fix: create it as a superuser ` +
      `(createdb -O ${user} ${database}).`
    );
  }
  return null;
}

/**
 * One line for a Redis failure at start, or null when it is not one we know. With a Sentinel
 * REDIS_URL, `sentinelErrors` are what each sentinel answered (ioredis's `sentinelError` events).
 */
export function describeRedisError(url: string, error: unknown, sentinelErrors: unknown[] = []): string | null {
  const target = parseRedisUrl(url);
  if (target.kind === "sentinel") return describeSentinelError(target, redact(url), error, sentinelErrors);
  const u = new URL(url);
  const where = `Redis at ${u.host}`;
  const code = codeOf(error);
  const message = firstLine(error);
  const network = networkCause(code, u.host);
  if (network) return `${where} is not reachable: ${network}. Fix: ${START_HINT}, or set REDIS_URL (now ${redact(url)}).`;
  if (/NOAUTH|WRONGPASS|invalid password|AUTH.*without any password/i.test(message)) {
    return (
      `${where} refused the credentials in REDIS_URL (${message.replace(/^ReplyError: /, "")}). Fix: ` +
      `REDIS_URL=redis://:PASSWORD@${u.host}.`
    );
  }
  if (/Connection is closed|ECONNRESET|Parse error|Protocol error/i.test(`${message} ${code}`)) {
    return (
      `${where} accepted the connection but did not answer as Redis does (is another service on that ` +
      `port?). Fix: point REDIS_URL at a Redis server (now ${redact(url)}).`
    );
  }
  return null;
}

/** The errno code named in a message ("connect ECONNREFUSED 127.0.0.1:26379"): ioredis's sentinel errors carry none. */
const codeInText = (text: string) =>
  /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/.exec(text)?.[1] ?? "";

function describeSentinelError(target: SentinelTarget, shown: string, error: unknown, sentinelErrors: unknown[]): string | null {
  const sentinels = describeSentinels(target);
  const told = sentinelErrors.map(firstLine);
  const message = firstLine(error);
  if (told.some((t) => /NOAUTH|WRONGPASS|invalid password|AUTH.*without any password|invalid username-password/i.test(t))) {
    return `Redis ${sentinels} refused the sentinel credentials. Fix: set them in REDIS_URL (?sentinelPassword=…), now ${shown}.`;
  }
  if (/All sentinels are unreachable/i.test(message)) {
    if (told.some((t) => /invalid reply|No such master/i.test(t))) {
      const fix = `Fix: use the name of their \`sentinel monitor\` line in REDIS_URL (now ${shown}).`;
      return `Redis ${sentinels}: the sentinels answer but monitor no master named "${target.masterName}". ${fix}`;
    }
    const code = sentinelErrors.map(codeOf).find(Boolean) || codeInText([message, ...told].join(" "));
    const network = networkCause(code, "any of them");
    const fix = `Fix: start the sentinels, or set REDIS_URL (now ${shown}).`;
    return `Redis ${sentinels} are not reachable: ${network ?? "no sentinel answered"}. ${fix}`;
  }
  // The sentinels named a primary; the failure is the primary's own.
  const code = codeOf(error);
  const primary = `Redis primary "${target.masterName}" named by ${sentinels}`;
  const network = networkCause(code, "the address the sentinels gave");
  if (network) {
    const view = `redis-cli -p 26379 sentinel get-master-addr-by-name ${target.masterName}`;
    return `${primary} is not reachable: ${network}. Fix: start it, or check the sentinels' view (\`${view}\`).`;
  }
  if (/NOAUTH|WRONGPASS|invalid password|AUTH.*without any password/i.test(message)) {
    const said = message.replace(/^ReplyError: /, "");
    return `${primary} refused the credentials in REDIS_URL (${said}). Fix: redis+sentinel://:PASSWORD@… (now ${shown}).`;
  }
  return null;
}
