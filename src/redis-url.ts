/**
 * REDIS_URL, read once: a single server (`redis://`, `rediss://`, passed to ioredis as written) or
 * a Sentinel group (`redis+sentinel://[user[:password]@]host1[:port],host2[:port]/mastername`).
 * ioredis speaks Sentinel but has no URL form for it, and WHATWG URL cannot hold several hosts,
 * so the Sentinel form is parsed here. Pure: no I/O, secrets never in an error message.
 */

export const DEFAULT_SENTINEL_PORT = 26379;

export interface SentinelAddress {
  host: string;
  port: number;
}

export type RedisTarget =
  | { kind: "server"; url: string }
  | {
      kind: "sentinel";
      sentinels: SentinelAddress[];
      /** The group name of `sentinel monitor <name> …`. */
      masterName: string;
      /** Credentials of the Redis servers (primary and replicas). */
      username?: string;
      password?: string;
      /** Credentials of the sentinels themselves, when they have `requirepass`. */
      sentinelUsername?: string;
      sentinelPassword?: string;
    };

export type SentinelTarget = Extract<RedisTarget, { kind: "sentinel" }>;

/** Why a REDIS_URL was refused; one per mistake an operator makes. */
export enum RedisUrlProblem {
  NOT_A_URL = "NOT_A_URL",
  UNSUPPORTED_SCHEME = "UNSUPPORTED_SCHEME",
  SENTINEL_TLS_UNSUPPORTED = "SENTINEL_TLS_UNSUPPORTED",
  NO_SENTINELS = "NO_SENTINELS",
  BAD_SENTINEL_HOST = "BAD_SENTINEL_HOST",
  BAD_SENTINEL_PORT = "BAD_SENTINEL_PORT",
  NO_MASTER_NAME = "NO_MASTER_NAME",
  BAD_MASTER_NAME = "BAD_MASTER_NAME",
  UNKNOWN_OPTION = "UNKNOWN_OPTION",
  BAD_ESCAPE = "BAD_ESCAPE",
}

export class RedisUrlError extends Error {
  override readonly name = "RedisUrlError";
  constructor(
    readonly problem: RedisUrlProblem,
    message: string,
  ) {
    super(message);
  }
}

const SENTINEL_FORM = "redis+sentinel://host1:26379,host2:26379/mastername";
const FORMS = `redis://host:6379 (rediss:// for TLS, or ${SENTINEL_FORM})`;
const SENTINEL_OPTIONS = ["sentinelUsername", "sentinelPassword"] as const;
/** A host name or IPv4 address; IPv6 comes in brackets and is checked apart. */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/;

const fail = (problem: RedisUrlProblem, message: string): never => {
  throw new RedisUrlError(problem, message);
};
const badHost = (message: string): never => fail(RedisUrlProblem.BAD_SENTINEL_HOST, message);

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    // The part itself may be a secret: name it, never quote it.
    return fail(RedisUrlProblem.BAD_ESCAPE, `the ${what} has a malformed %-escape`);
  }
}

/** `host`, `host:port`, `[v6]` or `[v6]:port` → address. */
function parseSentinelAddress(item: string): SentinelAddress {
  let host: string;
  let port: string | undefined;
  if (item.startsWith("[")) {
    const close = item.indexOf("]");
    if (close < 0) return badHost(`sentinel "${item}" opens an IPv6 bracket it never closes`);
    host = item.slice(1, close);
    const rest = item.slice(close + 1);
    if (rest && !rest.startsWith(":")) return badHost(`sentinel "${item}": expected :port after the IPv6 address`);
    port = rest ? rest.slice(1) : undefined;
    if (!IPV6.test(host) || !host.includes(":")) return badHost(`sentinel "${item}" is not an IPv6 address`);
  } else {
    const parts = item.split(":");
    if (parts.length > 2) return badHost(`sentinel "${item}": write an IPv6 address in brackets, e.g. [::1]:26379`);
    [host = "", port] = parts;
    if (!HOST_NAME.test(host)) return badHost(`sentinel "${item}" has no valid host name`);
  }
  if (port === undefined) return { host, port: DEFAULT_SENTINEL_PORT };
  const n = Number(port);
  if (!/^\d{1,5}$/.test(port) || n < 1 || n > 65535) {
    return fail(RedisUrlProblem.BAD_SENTINEL_PORT, `sentinel "${item}" has no valid port (1–65535)`);
  }
  return { host, port: n };
}

function parseSentinelUrl(rest: string): SentinelTarget {
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf("?");
  const query = q >= 0 ? rest.slice(q + 1) : "";
  if (q >= 0) rest = rest.slice(0, q);
  const slash = rest.indexOf("/");
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1) : "";

  // The last @ ends the credentials: a password may hold an unescaped @, a host never does.
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0 ? authority.slice(0, at) : null;
  const hostList = at >= 0 ? authority.slice(at + 1) : authority;

  const target: SentinelTarget = { kind: "sentinel", sentinels: [], masterName: "" };
  if (userinfo !== null) {
    const colon = userinfo.indexOf(":");
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (user) target.username = decode(user, "user name");
    if (colon >= 0 && userinfo.length > colon + 1) target.password = decode(userinfo.slice(colon + 1), "password");
  }

  if (!hostList) fail(RedisUrlProblem.NO_SENTINELS, `no sentinel address: use ${SENTINEL_FORM}`);
  for (const item of hostList.split(",")) {
    if (!item) badHost(`an empty sentinel address (two commas, or one at either end): use ${SENTINEL_FORM}`);
    target.sentinels.push(parseSentinelAddress(item));
  }

  const segments = path.split("/").filter((s, i, all) => s !== "" || i < all.length - 1);
  if (!path || segments.length === 0 || segments[0] === "") {
    fail(RedisUrlProblem.NO_MASTER_NAME, `no master name after the sentinels: use ${SENTINEL_FORM}`);
  }
  if (segments.length > 1) {
    const why = "use QUEUE_PREFIX, not a database number, to separate installations";
    fail(RedisUrlProblem.BAD_MASTER_NAME, `"/${path}": give one master name after the sentinels (${why})`);
  }
  target.masterName = decode(segments[0]!, "master name");
  if (/\s/.test(target.masterName)) fail(RedisUrlProblem.BAD_MASTER_NAME, "the master name has white space");

  for (const pair of query.split("&").filter(Boolean)) {
    const eq = pair.indexOf("=");
    const key = decode(eq >= 0 ? pair.slice(0, eq) : pair, "option name");
    const value = eq >= 0 ? decode(pair.slice(eq + 1), key) : "";
    if (!(SENTINEL_OPTIONS as readonly string[]).includes(key)) {
      fail(RedisUrlProblem.UNKNOWN_OPTION, `unknown option "${key}" (known: ${SENTINEL_OPTIONS.join(", ")})`);
    }
    if (value) target[key as (typeof SENTINEL_OPTIONS)[number]] = value;
  }
  return target;
}

/**
 * Reads REDIS_URL.
 * @throws {RedisUrlError} saying what is wrong and the right form; never quoting a secret
 */
export function parseRedisUrl(url: string): RedisTarget {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === "redis+sentinel") return parseSentinelUrl(url.slice(scheme.length + 3));
  if (scheme === "rediss+sentinel") {
    const instead = "use redis+sentinel:// on a private network, or rediss:// to one server";
    return fail(RedisUrlProblem.SENTINEL_TLS_UNSUPPORTED, `TLS with Sentinel (rediss+sentinel://) is not supported: ${instead}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(RedisUrlProblem.NOT_A_URL, `not a Redis URL: use ${FORMS}`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    return fail(RedisUrlProblem.UNSUPPORTED_SCHEME, `not a Redis URL: use ${FORMS}, not ${parsed.protocol}//`);
  }
  if (!parsed.hostname) return fail(RedisUrlProblem.NOT_A_URL, "not a Redis URL: no host (use redis://host:6379)");
  return { kind: "server", url };
}

const showHost = (a: SentinelAddress) => (a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

/** "sentinels h1:26379, h2:26379 (master "m")": where a Sentinel REDIS_URL points, without secrets. */
export function describeSentinels(target: SentinelTarget): string {
  return `sentinels ${target.sentinels.map(showHost).join(", ")} (master "${target.masterName}")`;
}

/** REDIS_URL as it may be printed: every password replaced by ***. */
export function redactRedisTarget(target: RedisTarget): string {
  if (target.kind === "server") {
    try {
      const u = new URL(target.url);
      if (u.password) u.password = "***";
      return u.toString();
    } catch {
      return target.url;
    }
  }
  const user = target.username ? encodeURIComponent(target.username) : "";
  const auth = target.password ? `${user}:***@` : user ? `${user}@` : "";
  const options = [
    target.sentinelUsername ? `sentinelUsername=${encodeURIComponent(target.sentinelUsername)}` : "",
    target.sentinelPassword ? "sentinelPassword=***" : "",
  ].filter(Boolean);
  const hosts = target.sentinels.map(showHost).join(",");
  return `redis+sentinel://${auth}${hosts}/${encodeURIComponent(target.masterName)}${options.length ? `?${options.join("&")}` : ""}`;
}
