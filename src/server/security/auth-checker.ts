import type { AuthChecker } from "type-graphql";
import { hasRole, Role } from "../../domain/roles.js";
import { AppError, ErrorCode } from "../../errors.js";
import type { GatewayContext } from "../../resolvers/context.js";

/**
 * type-graphql's check for @Authorized: every resolver class carries at least
 * @Authorized(Role.VIEWER). Throws typed errors rather than returning false, so the client sees
 * UNAUTHENTICATED or FORBIDDEN, never a generic message.
 */
export const authChecker: AuthChecker<GatewayContext, Role> = ({ context }, roles) => {
  const principal = context.principal;
  if (!principal) {
    throw new AppError(
      ErrorCode.UNAUTHENTICATED,
      context.authFailure === "invalid"
        ? "The API token is unknown, revoked or expired"
        : "An API token is required: send Authorization: Bearer <token>",
    );
  }
  const required = roles.length ? roles : [Role.VIEWER];
  if (!required.some((role) => hasRole(principal.role, role))) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `Token ${principal.name} has role ${principal.role}; this needs ${required.join(" or ")}`,
    );
  }
  return true;
};
