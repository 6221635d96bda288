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

  constructor(redis: Redis, config: Config) {
    const make = (kind: LimitKind, points: number, duration: number) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `${config.QUEUE_PREFIX}:rl:${kind}`, points, duration, useRedisPackage: false });
    this.limiters = {
      mutation: make("mutation", config.RATE_LIMIT_MUTATIONS_PER_MINUTE, 60),
      query: make("query", config.RATE_LIMIT_QUERIES_PER_SECOND, 1),
      subscription: make("subscription", config.RATE_LIMIT_SUBSCRIPTIONS_PER_SECOND, 1),
    };
  }

  /** Spends one point; throws RATE_LIMITED with the wait in seconds. Redis trouble fails open. */
  async consume(kind: LimitKind, key: string): Promise<void> {
    try {
      await this.limiters[kind].consume(key);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        const retryAfter = Math.ceil(error.msBeforeNext / 1000);
        throw new AppError(ErrorCode.RATE_LIMITED, `Too many ${kind} requests for this token; retry in ${retryAfter} s`, { retryAfterSeconds: retryAfter });
      }
      // An unreachable Redis must not lock everyone out of read paths; the queue errors on its own.
    }
  }
}
