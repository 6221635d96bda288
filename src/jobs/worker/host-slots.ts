import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";

/**
 * Takes a slot if the holder has none and fewer than `limit` unexpired leases exist. Leases are a
 * sorted set scored by expiry, so a holder that died (SIGKILL, power cut) frees its slot when its
 * lease runs out instead of leaking it forever.
 * KEYS[1] set; ARGV: now, expiry, holder, limit.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ARGV[2]) - tonumber(ARGV[1])))
  return 1
end
return 0`;

/** Renews only a lease still held: one that expired and was taken over must not come back. */
const RENEW = `
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ARGV[1]) - tonumber(ARGV[3])))
  return 1
end
return 0`;

/** Options for {@link HostSlots.acquire}. */
export interface AcquireOptions {
  /** Give up (null) after this long. */
  waitMs: number;
  /** How often to ask again for slots other worker processes of the host release. @default 100 */
  pollMs?: number;
  /** Stops the wait: null. */
  signal?: AbortSignal;
}

/** A held slot; release it when the run ends. */
export interface HostSlot {
  release(): Promise<void>;
}

/**
 * One budget of concurrent runs per host name, shared by every domain and every worker process of
 * that host (appliance runs cost ~600 MB each: N domains × concurrency would run out of memory).
 * Set the same limit on every worker process of a host.
 */
export class HostSlots {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly limit: number,
    private readonly leaseMs = 30_000,
  ) {}

  /** Wakes the waiters of {@link acquire} in this process when one of its slots is released. */
  private readonly waiters = new Set<() => void>();

  static key(prefix: string, hostName: string, kind: string): string {
    return `${prefix}:host-slots:${kind}:${hostName}`;
  }

  /** A slot, or null when the host's budget is used up right now. */
  async tryAcquire(label: string): Promise<HostSlot | null> {
    const holder = `${label}:${randomUUID()}`;
    const now = Date.now();
    const got = await this.redis.eval(ACQUIRE, 1, this.key, now, now + this.leaseMs, holder, this.limit);
    if (got !== 1) return null;
    const timer = setInterval(
      () => {
        const at = Date.now();
        this.redis.eval(RENEW, 1, this.key, at + this.leaseMs, holder, at).catch(() => {});
      },
      Math.floor(this.leaseMs / 3),
    );
    timer.unref();
    return {
      release: async () => {
        clearInterval(timer);
        await this.redis.zrem(this.key, holder).catch(() => {});
        for (const wake of [...this.waiters]) wake();
      },
    };
  }

  /**
   * A slot, waiting up to `waitMs` for one: a slot released in this process is taken at once,
   * one released by another process of the host within `pollMs`. Null when the wait ran out or
   * `signal` stopped it.
   */
  async acquire(label: string, opts: AcquireOptions): Promise<HostSlot | null> {
    const deadline = Date.now() + opts.waitMs;
    const pollMs = opts.pollMs ?? 100;
    for (;;) {
      if (opts.signal?.aborted) return null;
      const slot = await this.tryAcquire(label);
      if (slot) return slot;
      const left = deadline - Date.now();
      if (left <= 0 || opts.signal?.aborted) return null;
      const stop = new AbortController();
      const woken = new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
        stop.signal.addEventListener("abort", wake, { once: true });
        opts.signal?.addEventListener("abort", wake, { once: true, signal: stop.signal });
      });
      await Promise.race([woken, sleep(Math.min(pollMs, left), undefined, { signal: stop.signal }).catch(() => undefined)]);
      stop.abort();
    }
  }

  /** Leases currently held (expired ones not counted). */
  async inUse(): Promise<number> {
    return this.redis.zcount(this.key, Date.now(), "+inf");
  }
}
