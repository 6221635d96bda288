import type { Config } from "../../config.js";
import { Role, type Principal } from "../../domain/roles.js";
import type { TokenService } from "../../services/token.service.js";
import { bearerSecret } from "./bearer.js";

export const DEV_PRINCIPAL: Principal = { tokenId: null, name: "dev", role: Role.ADMIN, expiresAt: null };

export type AuthResult = { principal: Principal } | { principal: null; reason: "missing" | "invalid" };

/** Header → principal. With AUTH_DISABLED (development only) everyone is the dev admin. */
export async function authenticate(config: Config, tokens: TokenService, authorization: unknown): Promise<AuthResult> {
  if (config.AUTH_DISABLED) return { principal: DEV_PRINCIPAL };
  const secret = bearerSecret(authorization);
  if (!secret) return { principal: null, reason: "missing" };
  const principal = await tokens.verify(secret);
  return principal ? { principal } : { principal: null, reason: "invalid" };
}
