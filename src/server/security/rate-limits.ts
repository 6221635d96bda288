import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Config } from "../../config.js";
import { AppError, ErrorCode } from "../../errors.js";

export type LimitKind = "mutation" | "query" | "subscription";

/**
 * Per-token limits kept in Redis, so they hold across gateway replicas. Defaults stop a flood of
 * mutations yet let one UI open thousands of job subscriptions.
 */
export class RateLimits {
  private readonly limiters: Record<LimitKind, RateLimiterRedis>;
  private readonly authFailures: RateLimiterRedis;

  constructor(redis: Redis, config: Config) {
    const make = (kind: LimitKind, points: number, duration: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${config.QUEUE_PREFIX}:rl:${kind}`,
        points,
        duration,
        useRedisPackage: false,
      });
    this.limiters = {
      mutation: make("mutation", config.RATE_LIMIT_MUTATIONS_PER_MINUTE, 60),
      query: make("query", config.RATE_LIMIT_QUERIES_PER_SECOND, 1),
      subscription: make("subscription", config.RATE_LIMIT_SUBSCRIPTIONS_PER_SECOND, 1),
    };
    this.authFailures = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${config.QUEUE_PREFIX}:rl:auth-failure`,
      points: config.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
      duration: 60,
      useRedisPackage: false,
    });
  }

  /**
   * Spends `points` (one per root field: aliases are separate calls); throws RATE_LIMITED with the
   * wait in seconds. Redis trouble fails open.
   */
  async consume(kind: LimitKind, key: string, points = 1): Promise<void> {
    try {
      await this.limiters[kind].consume(key, points);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        const retryAfter = Math.ceil(error.msBeforeNext / 1000);
        throw new AppError(ErrorCode.RATE_LIMITED, `Too many ${kind} requests for this token; retry in ${retryAfter} s`, {
          retryAfterSeconds: retryAfter,
        });
      }
      // An unreachable Redis must not lock everyone out of read paths; the queue errors on its own.
    }
  }

  /**
   * Seconds until `address` may try a token again, or null when it may now. Asked before any token
   * is looked up, so guessing tokens costs the database nothing once the limit is reached.
   */
  async authBlockedFor(address: string): Promise<number | null> {
    try {
      const res = await this.authFailures.get(address);
      return res && res.consumedPoints >= this.authFailures.points ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : null;
    } catch {
      return null;
    }
  }

  /** Counts a token that was not valid against the address it came from. */
  async recordAuthFailure(address: string): Promise<void> {
    await this.authFailures.consume(address).catch(() => {});
  }
}
