import { Authorized, Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import { Role } from "../domain/roles.js";
import type { StorageDomain } from "../entities/index.js";
import { BytesScalar } from "../schema/scalars/bytes.scalar.js";
import { StorageDomainType } from "../schema/storage-domain.type.js";
import type { GatewayContext } from "./context.js";

/** Size totals per storage domain, for the actual-against-virtual chart; batched per request. */
@Authorized(Role.VIEWER)
@Resolver(() => StorageDomainType)
export class DomainSizeTotalsResolver {
  @FieldResolver(() => Int, { description: "Disks in the inventory (MISSING ones left out)." })
  async diskCount(@Root() d: StorageDomain, @Ctx() ctx: GatewayContext): Promise<number> {
    return (await ctx.loaders.sizeTotalsOfDomain.load(d.id)).diskCount;
  }

  @FieldResolver(() => BytesScalar, { description: "Sum of the disks' virtual sizes (MISSING ones left out)." })
  async virtualSizeTotal(@Root() d: StorageDomain, @Ctx() ctx: GatewayContext): Promise<number> {
    return (await ctx.loaders.sizeTotalsOfDomain.load(d.id)).virtualSizeTotal;
  }

  @FieldResolver(() => BytesScalar, { description: "Sum of the disks' actual (allocated) sizes (MISSING ones left out)." })
  async actualSizeTotal(@Root() d: StorageDomain, @Ctx() ctx: GatewayContext): Promise<number> {
    return (await ctx.loaders.sizeTotalsOfDomain.load(d.id)).actualSizeTotal;
  }
}
