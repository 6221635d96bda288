import { createHash, randomBytes } from "node:crypto";
import { IsNull, type DataSource } from "typeorm";
import type { Principal } from "../domain/roles.js";
import { ApiToken, Role } from "../entities/api-token.entity.js";
import { AppError, ErrorCode, badInput, notFound } from "../errors.js";
import type { EventBus } from "../jobs/queue/event-bus.js";
import { recordEvent } from "./audit.js";
import { isUniqueViolation } from "./db-errors.js";
import { parseId, parseName } from "./ids.js";

/** Recognisable prefix (secret scanners, logs) + 256 random bits. */
const PREFIX = "spg_";
const CACHE_MS = 10_000;

export const digestOf = (secret: string) => createHash("sha256").update(secret).digest("hex");

export interface CreatedToken {
  token: ApiToken;
  /** Shown once; only its digest is stored. */
  secret: string;
}

/**
 * API tokens: creation, listing, revocation and verification. Verification is one SHA-256 and
 * an indexed lookup, cached briefly; a revocation clears every gateway's cache through the bus.
 */
export class TokenService {
  private readonly cache = new Map<string, { principal: Principal | null; at: number }>();
  /**
   * Lookups under way by digest: a burst of sockets with one token (a dashboard's tabs reconnecting
   * after a restart) waits for one query instead of queueing one each for the pool's connections.
   */
  private readonly lookups = new Map<string, Promise<Principal | null>>();

  constructor(
    private readonly db: DataSource,
    private readonly bus: EventBus | null,
  ) {
    bus?.on("token-revoked", () => {
      this.cache.clear();
      this.lookups.clear();
    });
  }

  async create(input: { name: string; role: Role; expiresAt?: Date | null }, actor: string): Promise<CreatedToken> {
    const name = parseName(input.name);
    if (!Object.values(Role).includes(input.role))
      throw badInput(`role must be one of ${Object.values(Role).join(", ")}`, "role");
    if (input.expiresAt && (Number.isNaN(input.expiresAt.getTime()) || input.expiresAt.getTime() <= Date.now()))
      throw badInput("expiresAt must be in the future", "expiresAt");
    const secret = PREFIX + randomBytes(32).toString("base64url");
    try {
      const token = await this.db.transaction(async (em) => {
        const saved = await em.save(
          ApiToken,
          em.create(ApiToken, {
            name,
            role: input.role,
            digest: digestOf(secret),
            expiresAt: input.expiresAt ?? null,
            createdBy: actor,
          }),
        );
        await recordEvent(em, { type: "TOKEN_CREATED", actor, message: `API token ${name} (${input.role}) created` });
        return saved;
      });
      return { token, secret };
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError(ErrorCode.CONFLICT, `A token named ${name} already exists`);
      throw error;
    }
  }

  list(): Promise<ApiToken[]> {
    return this.db.getRepository(ApiToken).find({ order: { createdAt: "ASC" } });
  }

  async revoke(id: string, actor: string): Promise<ApiToken> {
    const repo = this.db.getRepository(ApiToken);
    const token = await repo.findOneBy({ id: parseId(id) });
    if (!token) throw notFound("API token", id);
    await repo.update({ id: token.id, revokedAt: IsNull() }, { revokedAt: new Date() });
    await recordEvent(this.db.manager, { type: "TOKEN_REVOKED", actor, message: `API token ${token.name} revoked` });
    this.cache.clear();
    await this.bus?.publish({ type: "token-revoked", tokenId: token.id });
    return (await repo.findOneBy({ id: token.id }))!;
  }

  /**
   * The principal this gateway already knows valid for `secret` (cached, unexpired), without any
   * lookup; undefined otherwise. A revocation clears the cache on every gateway (the bus).
   */
  cachedPrincipal(secret: string): Principal | undefined {
    if (!secret.startsWith(PREFIX) || secret.length > 200) return undefined;
    const hit = this.cache.get(digestOf(secret));
    const now = Date.now();
    if (!hit?.principal || now - hit.at >= CACHE_MS) return undefined;
    return !hit.principal.expiresAt || hit.principal.expiresAt.getTime() > now ? hit.principal : undefined;
  }

  /** The principal for a secret, or null when unknown, revoked or expired. */
  async verify(secret: string): Promise<Principal | null> {
    if (!secret.startsWith(PREFIX) || secret.length > 200) return null;
    const digest = digestOf(secret);
    const hit = this.cache.get(digest);
    const now = Date.now();
    if (hit && now - hit.at < CACHE_MS)
      return hit.principal && (!hit.principal.expiresAt || hit.principal.expiresAt.getTime() > now) ? hit.principal : null;
    let lookup = this.lookups.get(digest);
    if (!lookup) {
      lookup = this.lookUp(digest, now).finally(() => {
        if (this.lookups.get(digest) === lookup) this.lookups.delete(digest);
      });
      this.lookups.set(digest, lookup);
    }
    return lookup;
  }

  private async lookUp(digest: string, now: number): Promise<Principal | null> {
    const token = await this.db.getRepository(ApiToken).findOneBy({ digest });
    const principal =
      token && !token.revokedAt && (!token.expiresAt || token.expiresAt.getTime() > now)
        ? { tokenId: token.id, name: token.name, role: token.role, expiresAt: token.expiresAt }
        : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(digest, { principal, at: now });
    return principal;
  }

  /** Still valid now? For open WebSockets, checked per operation. */
  async stillValid(principal: Principal): Promise<boolean> {
    if (!principal.tokenId) return true;
    if (principal.expiresAt && principal.expiresAt.getTime() <= Date.now()) return false;
    const token = await this.db.getRepository(ApiToken).findOneBy({ id: principal.tokenId });
    return !!token && !token.revokedAt;
  }
}
