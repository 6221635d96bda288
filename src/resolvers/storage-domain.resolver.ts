import { Authorized, Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { domainStatus } from "../domain/storage-domain-status.js";
import { Disk, StorageDomain } from "../entities/index.js";
import { badInput } from "../errors.js";
import { DiskType } from "../schema/disk.type.js";
import { DirectVerifyMode, SparsifyMethod, StorageDomainStatus } from "../schema/enums.js";
import { AddStorageDomainInput } from "../schema/storage-domain.input.js";
import { StorageDomainType } from "../schema/storage-domain.type.js";
import { Role } from "../domain/roles.js";
import type { GatewayContext } from "./context.js";
import { WithoutHostPaths } from "./host-internals.js";

@Authorized(Role.VIEWER)
@Resolver(() => StorageDomainType)
export class StorageDomainResolver {
  @Query(() => [StorageDomainType])
  storageDomains(@Ctx() ctx: GatewayContext): Promise<StorageDomain[]> {
    return ctx.services.domains.list();
  }

  @Query(() => StorageDomainType, { nullable: true })
  async storageDomain(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<StorageDomain | null> {
    return ctx.services.domains.get(id).catch((e) => (e.extensions?.code === "NOT_FOUND" ? null : Promise.reject(e)));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => StorageDomainType, { description: "Adds a file storage domain and scans it on a host." })
  addStorageDomain(@Arg("input") input: AddStorageDomainInput, @Ctx() ctx: GatewayContext): Promise<StorageDomain> {
    return ctx.services.domains.add(input, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => StorageDomainType, {
    description: "Scans on a host; returns when done, or with the scan state after SCAN_WAIT_MS.",
  })
  scanStorageDomain(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<StorageDomain> {
    return ctx.services.domains.scan(id, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => StorageDomainType)
  deactivateStorageDomain(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<StorageDomain> {
    return ctx.services.domains.setActive(id, false, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => StorageDomainType)
  activateStorageDomain(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<StorageDomain> {
    return ctx.services.domains.setActive(id, true, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => StorageDomainType, {
    description:
      "Chooses how the domain's disks are sparsified from the next job on; `verify` (default: unchanged) sets how DIRECT runs are checked.",
  })
  setSparsifyMethod(
    @Arg("storageDomainId", () => ID) storageDomainId: string,
    @Arg("method", () => SparsifyMethod) method: SparsifyMethod,
    @Arg("verify", () => DirectVerifyMode, { nullable: true }) verify: DirectVerifyMode | null | undefined,
    @Ctx() ctx: GatewayContext,
  ): Promise<StorageDomain> {
    return ctx.services.domains.setSparsifyMethod(storageDomainId, method, verify ?? null, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Boolean, {
    description: "Forgets the domain and its inventory; image files are never deleted. Refused while jobs run.",
  })
  removeStorageDomain(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<boolean> {
    return ctx.services.domains.remove(id, ctx.actor);
  }

  @FieldResolver(() => StorageDomainStatus)
  status(@Root() d: StorageDomain): StorageDomainStatus {
    return domainStatus(d).status;
  }

  @WithoutHostPaths()
  @FieldResolver(() => String, { nullable: true })
  statusReason(@Root() d: StorageDomain): string | null {
    return domainStatus(d).reason;
  }

  @FieldResolver(() => [DiskType], { description: "Disks of the domain by alias; use Query.disks with a filter to page." })
  async disks(
    @Root() d: StorageDomain,
    @Arg("first", () => Int, { defaultValue: 100 }) first: number,
    @Ctx() ctx: GatewayContext,
  ): Promise<Disk[]> {
    if (first < 0 || first > 500) throw badInput("first must be between 0 and 500", "first");
    return ctx.loaders.disksOfDomain.load({ parentId: d.id, limit: first });
  }
}
