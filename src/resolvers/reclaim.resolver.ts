import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { effectivePolicy } from "../domain/needs-sparsify.js";
import { Role } from "../domain/roles.js";
import type { SparsifySchedule, StorageDomain } from "../entities/index.js";
import {
  ReclaimGrouping,
  ReclaimPolicyInput,
  ReclaimPolicyType,
  ReclaimTotalType,
  SparsifyScheduleInput,
  SparsifyScheduleType,
  TimeBucket,
} from "../schema/reclaim.types.js";
import { BytesScalar } from "../schema/scalars/bytes.scalar.js";
import { StorageDomainType } from "../schema/storage-domain.type.js";
import { globalPolicy } from "../services/reclaim-policy.service.js";
import { reclaimTotals, type ReclaimTotalRow } from "../services/reclaim-totals.service.js";
import type { GatewayContext } from "./context.js";

/** Reclaim intelligence on storage domains: policy, estimates, schedule, totals. */
@Authorized(Role.VIEWER)
@Resolver(() => StorageDomainType)
export class ReclaimResolver {
  @FieldResolver(() => ReclaimPolicyType)
  reclaimPolicy(@Root() d: StorageDomain, @Ctx() ctx: GatewayContext): ReclaimPolicyType {
    return {
      ...effectivePolicy(d, globalPolicy(ctx.services.config)),
      inherited: d.minReclaimableBytes === null && d.minReclaimableRatio === null,
    };
  }

  @FieldResolver(() => BytesScalar, { description: "Sum of the disks' reclaimable estimates." })
  reclaimableTotal(@Root() d: StorageDomain, @Ctx() ctx: GatewayContext): Promise<number> {
    return ctx.loaders.reclaimableOfDomain.load(d.id);
  }

  @FieldResolver(() => SparsifyScheduleType, { nullable: true })
  schedule(@Root() d: StorageDomain, @Ctx() ctx: GatewayContext): Promise<SparsifySchedule | null> {
    return ctx.services.schedules.get(d.id);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => StorageDomainType, {
    description: "Sets the domain's needs-sparsify thresholds (null fields: the global default).",
  })
  setReclaimPolicy(
    @Arg("storageDomainId", () => ID) id: string,
    @Arg("policy") policy: ReclaimPolicyInput,
    @Ctx() ctx: GatewayContext,
  ): Promise<StorageDomain> {
    return ctx.services.reclaim.setPolicy(id, policy, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => StorageDomainType, {
    description: "Estimates every disk of the domain on a host (read-only), waiting up to SCAN_WAIT_MS.",
  })
  estimateStorageDomain(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<StorageDomain> {
    return ctx.services.reclaim.estimateDomain(id, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => SparsifyScheduleType, { description: "Creates or replaces the domain's periodic sparsify." })
  setSparsifySchedule(
    @Arg("storageDomainId", () => ID) id: string,
    @Arg("schedule") input: SparsifyScheduleInput,
    @Ctx() ctx: GatewayContext,
  ): Promise<SparsifySchedule> {
    return ctx.services.schedules.set(id, input, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Boolean)
  removeSparsifySchedule(@Arg("storageDomainId", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<boolean> {
    return ctx.services.schedules.remove(id, ctx.actor);
  }

  @Query(() => [ReclaimTotalType], { description: "Bytes reclaimed over time, per disk, per storage domain or overall." })
  reclaimedTotals(
    @Ctx() ctx: GatewayContext,
    @Arg("groupBy", () => ReclaimGrouping, { defaultValue: ReclaimGrouping.TOTAL }) groupBy: ReclaimGrouping,
    @Arg("bucket", () => TimeBucket, { defaultValue: TimeBucket.ALL }) bucket: TimeBucket,
    @Arg("since", () => Date, { nullable: true }) since?: Date,
    @Arg("until", () => Date, { nullable: true }) until?: Date,
  ): Promise<ReclaimTotalRow[]> {
    return reclaimTotals(ctx.services.db, { groupBy, bucket, since, until });
  }
}
