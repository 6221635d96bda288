import type { Config } from "../../config.js";
import { AppError, ErrorCode } from "../../errors.js";
import { Role, type Principal } from "../../domain/roles.js";
import type { TokenService } from "../../services/token.service.js";
import { bearerSecret } from "./bearer.js";
import type { RateLimits } from "./rate-limits.js";

export const DEV_PRINCIPAL: Principal = { tokenId: null, name: "dev", role: Role.ADMIN, expiresAt: null };

export type AuthResult =
  /**
   * `blockedFor`: the failed-authentication check still under way (a valid token this gateway had
   * cached, so no lookup was made): the caller must await it before the operation runs.
   */
  | { principal: Principal; blockedFor?: Promise<number | null> }
  | { principal: null; reason: "missing" | "invalid" }
  /** Too many failed authentications from this address: the token was not even looked up. */
  | { principal: null; reason: "rate-limited"; retryAfterSeconds: number };

/** Where a request comes from, for the failed-authentication limit. */
export interface AuthGuard {
  limits: RateLimits;
  /** The client address (X-Forwarded-For only when TRUST_PROXY trusts the proxy). */
  address: string;
  /**
   * For a token already cached valid, return the failed-authentication check as a promise instead
   * of waiting for it here (HTTP awaits it with the rate-limit charge, one wait for both).
   */
  deferForCachedToken?: boolean;
}

/**
 * Header → principal. With AUTH_DISABLED (development only) everyone is the dev admin. With a
 * guard, an address over RATE_LIMIT_AUTH_FAILURES_PER_MINUTE is refused before the token lookup.
 */
export async function authenticate(
  config: Config,
  tokens: TokenService,
  authorization: unknown,
  guard?: AuthGuard,
): Promise<AuthResult> {
  if (config.AUTH_DISABLED) return { principal: DEV_PRINCIPAL };
  const secret = bearerSecret(authorization);
  if (!secret) return { principal: null, reason: "missing" };
  if (guard?.deferForCachedToken) {
    // No lookup happens for a cached token: the check need not come first, only before execution.
    const cached = tokens.cachedPrincipal(secret);
    if (cached) return { principal: cached, blockedFor: guard.limits.authBlockedFor(guard.address) };
  }
  if (guard) {
    const wait = await guard.limits.authBlockedFor(guard.address);
    if (wait !== null) return { principal: null, reason: "rate-limited", retryAfterSeconds: wait };
  }
  const principal = await tokens.verify(secret);
  if (principal) return { principal };
  await guard?.limits.recordAuthFailure(guard.address);
  return { principal: null, reason: "invalid" };
}

/** RATE_LIMITED (HTTP 429) for an address over the failed-authentication limit. */
export const authRateLimited = (retryAfterSeconds: number) =>
  new AppError(ErrorCode.RATE_LIMITED, `Too many failed authentications from this address; retry in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
    http: { status: 429 },
  });
