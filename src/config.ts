import os from "node:os";
import path from "node:path";
import proxyaddr from "proxy-addr";
import { z } from "zod";
import { parseRedisUrl, RedisUrlError } from "./redis-url.js";

const csv = (value: string) =>
  value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s.length > 1 ? s.replace(/\/+$/, "") : s));

/** TRUST_PROXY → the value express's "trust proxy" takes. */
function trustProxy(value: string): boolean | number | string[] {
  const v = value.trim().toLowerCase();
  if (["false", "0", "no", ""].includes(v)) return false;
  if (["true", "yes"].includes(v)) return true;
  if (/^\d+$/.test(v)) return Number(v);
  return csv(value);
}

const milliseconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const flag = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");
const count = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Every setting, read from the environment once at start. A bad value stops the process with a
 * message that names the variable (see {@link loadConfig}).
 */
const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** HTTP + WebSocket port of the gateway. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** Address the gateway binds to: loopback unless you mean to expose it (compose sets 0.0.0.0). */
  BIND_ADDRESS: z.string().default("127.0.0.1"),
  /**
   * Which proxies may name the client in X-Forwarded-For (express "trust proxy"): false (default:
   * the socket's peer is the client), true, a hop count, or comma-separated addresses / CIDRs /
   * loopback, linklocal, uniquelocal. The address keys the failed-authentication limit.
   */
  TRUST_PROXY: z.string().default("false").transform(trustProxy),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: "not a PostgreSQL URL: use postgres://user[:password]@host:5432/database" })
    .default("postgres://postgres@127.0.0.1:5432/sparsify"),
  /** Create the database named in DATABASE_URL when missing (the default `sparsify` always is). */
  CREATE_DATABASE: flag.default(false),
  /** One server (`redis://`, `rediss://`) or a Sentinel group (`redis+sentinel://h1:26379,h2:26379/mastername`). */
  REDIS_URL: z
    .string()
    .default("redis://127.0.0.1:6379")
    .superRefine((value, ctx) => {
      try {
        parseRedisUrl(value);
      } catch (error) {
        if (!(error instanceof RedisUrlError)) throw error;
        ctx.addIssue({ code: "custom", message: error.message });
      }
    }),
  /** Prefix of every Redis key and channel: lets several installations (or tests) share a Redis. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default("sparsify"),
  /** Comma-separated absolute directories inside which storage domains may live. */
  STORAGE_ROOTS: z.string().default(path.resolve("var/storage")).transform(csv),
  /** Name this host worker registers under. */
  HOST_NAME: z.string().min(1).default(os.hostname()),
  /** virt-sparsify runs at once on this worker; default min(cores, free memory / 600 MB). */
  WORKER_CONCURRENCY: z.coerce.number().int().positive().optional(),
  /**
   * DIRECT runs at once per host, a budget apart from the appliance's: they need no appliance
   * (~600 MB; a DIRECT run's daemon holds ~10 MB) but read and discard on the same storage. A run
   * mostly waits on its tools and the storage (~0.15 CPU-s for a 1 GiB disk), so even a 2-core
   * host runs 8 at once with profit: 200 disks took 26.5 s with 8, 47.7 s with 4 (bench:direct).
   * Same value on every worker process of a host.
   */
  DIRECT_CONCURRENCY: count(8),
  /** Scans, estimates and scheduled ticks at once per domain: a lane apart from sparsify runs. */
  OPS_CONCURRENCY: count(2),
  /** How soon a sparsify job that found its host's slots all taken is offered again. */
  SLOT_RETRY_MS: milliseconds(1_000),
  /**
   * How long a DIRECT job waits in its worker for a DIRECT slot before going back to the queue.
   * DIRECT runs take about a second, so a slot frees well within this; the worker fetches at most
   * WORKER_CONCURRENCY + DIRECT_CONCURRENCY jobs, so few wait.
   */
  DIRECT_SLOT_WAIT_MS: milliseconds(10_000),
  /** LIBGUESTFS_BACKEND_SETTINGS for runs; "auto" = force_tcg only where KVM is unusable. */
  LIBGUESTFS_BACKEND_SETTINGS: z.string().default("auto"),
  /** Shared appliance cache: without it every job rebuilds the 660 MiB appliance. */
  LIBGUESTFS_CACHEDIR: z.string().default("/var/tmp"),
  SPARSIFY_TIMEOUT_MS: milliseconds(30 * 60_000),
  /** SIGTERM first; SIGKILL after this grace (virt-sparsify honours SIGTERM only between steps). */
  SPARSIFY_KILL_GRACE_MS: milliseconds(15_000),
  /**
   * While a job runs, its storage domain and image are stat'ed (in a child) this often; gone,
   * replaced or unanswered ends the job FAILED with STORAGE_UNAVAILABLE.
   */
  STORAGE_CHECK_INTERVAL_MS: milliseconds(5_000),
  /**
   * A stat slower than this means the storage hangs. Also bounds the hosts' reachability checks.
   * A job on vanished storage ends within interval + timeout + SPARSIFY_KILL_GRACE_MS + ~13 s.
   */
  STORAGE_CHECK_TIMEOUT_MS: milliseconds(10_000),
  /** How long scanStorageDomain waits for the host's scan before returning the scan state. */
  SCAN_WAIT_MS: milliseconds(30_000),
  HEARTBEAT_INTERVAL_MS: milliseconds(5_000),
  /** A host whose heartbeat is older than this is offline; its RUNNING jobs are reconciled. */
  HOST_OFFLINE_AFTER_MS: milliseconds(30_000),
  /** BullMQ stalled-job check: how fast a job of a dead worker is picked up by another. */
  STALLED_INTERVAL_MS: milliseconds(30_000),
  /** How often workers re-check which storage domains they can see. */
  DOMAIN_REFRESH_MS: milliseconds(15_000),
  RECONCILE_INTERVAL_MS: milliseconds(30_000),
  /** Wall-clock limit of every qemu-img / qemu-io call on an image (also under prlimit); a hung mount or hostile header ends there. */
  QEMU_TOOL_TIMEOUT_MS: milliseconds(60_000),
  /** A scan gives up on a storage domain that does not answer a directory walk within this time. */
  SCAN_PROBE_TIMEOUT_MS: milliseconds(30_000),
  /** A scan that finds its domain being scanned elsewhere re-queues itself after this delay. */
  SCAN_DEFER_MS: milliseconds(5_000),
  /** Deadline for a retried job that finds its image still held by an orphaned run. */
  IMAGE_IN_USE_DEADLINE_MS: milliseconds(120_000),
  /** Development only: every caller is an admin named "dev". Refused with NODE_ENV=production. */
  AUTH_DISABLED: flag.default(false),
  /** Browser origins allowed to open the WebSocket (comma-separated); same-origin is always allowed. */
  ALLOWED_ORIGINS: z.string().default("").transform(csv),
  /** Default: on in development, off in production. */
  GRAPHIQL: flag.optional(),
  INTROSPECTION: flag.optional(),
  MAX_QUERY_DEPTH: count(10),
  MAX_QUERY_ALIASES: count(15),
  MAX_QUERY_TOKENS: count(2_000),
  MAX_QUERY_COST: count(50_000),
  /** Per token, across gateway replicas (Redis): mutations per minute. */
  RATE_LIMIT_MUTATIONS_PER_MINUTE: count(120),
  /** Most disks one sparsifyDisks request may name or match (TOO_MANY_DISKS above). */
  BULK_SPARSIFY_MAX_DISKS: count(1000),
  RATE_LIMIT_QUERIES_PER_SECOND: count(200),
  /** Subscription starts per second: one UI opens thousands of job subscriptions. */
  RATE_LIMIT_SUBSCRIPTIONS_PER_SECOND: count(500),
  /** Failed authentications per client address per minute; past it, no token is looked up at all. */
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: count(30),
  /** Open WebSockets per token (each browser tab holds one). */
  MAX_SOCKETS_PER_TOKEN: count(20),
  /** Subscriptions open at once on one WebSocket (the UI holds one per live job). */
  MAX_SUBSCRIPTIONS_PER_SOCKET: count(1_000),
  AUDIT_RETENTION_DAYS: count(365),
  /** Global needs-sparsify policy (a storage domain may override): both must hold. */
  NEEDS_SPARSIFY_MIN_BYTES: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(256 * 1024 * 1024),
  NEEDS_SPARSIFY_MIN_RATIO: z.coerce.number().min(0).max(1).default(0.1),
  /** Metrics without a token: default open in development, token-only in production. */
  METRICS_PUBLIC: flag.optional(),
  /** On SIGTERM a worker finishes its running jobs for this long, then exits and hands them back. */
  WORKER_SHUTDOWN_GRACE_MS: milliseconds(60_000),
  /** auto: readable lines on a terminal, JSON lines otherwise. */
  LOG_FORMAT: z.enum(["auto", "json", "pretty"]).default("auto"),
  /** GraphQL errors carry stack traces (extensions.stacktrace) only when this is on. */
  DEBUG_ERRORS: flag.default(false),
  /** Development only: where `npm start` keeps its admin token (mode 0600) across restarts. */
  DEV_TOKEN_FILE: z.string().default(path.resolve("var/dev-token")),
  /**
   * libvirt this host worker follows for VM truth. Unset: `qemu:///system` when its socket exists,
   * otherwise off. `none`: this host deliberately has no hypervisor.
   */
  LIBVIRT_URI: z.string().min(1).optional(),
  /** Full resync with libvirt at this period (besides on connect and reconnect). */
  LIBVIRT_RESYNC_MS: milliseconds(60_000),
  /** How often a lost libvirt connection is retried. */
  LIBVIRT_RECONNECT_MS: milliseconds(5_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Config = z.infer<typeof schema>;

/** GraphiQL and introspection follow NODE_ENV unless set explicitly. */
export const graphiqlEnabled = (c: Config) => c.GRAPHIQL ?? c.NODE_ENV !== "production";
export const introspectionEnabled = (c: Config) => c.INTROSPECTION ?? c.NODE_ENV !== "production";

export class ConfigError extends Error {}

/** Parses and validates the environment; throws {@link ConfigError} naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (PORT=) means "not set": fall back to the default rather than coerce "" to 0.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const config = parsed.data;
  if (config.AUTH_DISABLED && config.NODE_ENV === "production") {
    throw new ConfigError("Invalid configuration:\n  AUTH_DISABLED: cannot be true with NODE_ENV=production");
  }
  if (Array.isArray(config.TRUST_PROXY)) {
    try {
      proxyaddr.compile(config.TRUST_PROXY);
    } catch (error) {
      throw new ConfigError(
        `Invalid configuration:\n  TRUST_PROXY: ${(error as Error).message} (give true, a hop count, or addresses / CIDRs / loopback)`,
      );
    }
  }
  if (config.STORAGE_ROOTS.length === 0)
    throw new ConfigError("Invalid configuration:\n  STORAGE_ROOTS: give at least one directory");
  for (const root of config.STORAGE_ROOTS) {
    if (!path.isAbsolute(root) || path.normalize(root) !== root) {
      throw new ConfigError(`Invalid configuration:\n  STORAGE_ROOTS: ${root} is not an absolute, normalised path`);
    }
  }
  return config;
}
