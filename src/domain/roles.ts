import { Role } from "../entities/api-token.entity.js";

export { Role };

/** Roles are nested: an admin may do what an operator may, an operator what a viewer may. */
const RANK: Record<Role, number> = { [Role.VIEWER]: 1, [Role.OPERATOR]: 2, [Role.ADMIN]: 3 };

export function hasRole(actual: Role, required: Role): boolean {
  return RANK[actual] >= RANK[required];
}

/** Who is calling: a token's name and role, never its secret. */
export interface Principal {
  tokenId: string | null;
  name: string;
  role: Role;
  expiresAt: Date | null;
}
