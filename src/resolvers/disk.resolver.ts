import { Authorized, Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { Disk, DiskAttachment, StorageDomain, Volume } from "../entities/index.js";
import { DiskAttachmentType } from "../schema/disk-attachment.type.js";
import { ConnectionArgs } from "../schema/connection.args.js";
import { DiskConnection } from "../schema/disk-connection.type.js";
import { DiskFilter, DiskOrder } from "../schema/disk-query.input.js";
import { DiskType } from "../schema/disk.type.js";
import { DiskAllocation } from "../schema/enums.js";
import { StorageDomainType } from "../schema/storage-domain.type.js";
import { VolumeType } from "../schema/volume.type.js";
import { badInput } from "../errors.js";
import { listDisks } from "../services/disk-query.service.js";
import { Role } from "../domain/roles.js";
import type { SparsifyIssue } from "../domain/sparsify-issue.js";
import { SparsifyIssueType } from "../schema/sparsify-issue.type.js";
import type { GatewayContext } from "./context.js";

@Authorized(Role.VIEWER)
@Resolver(() => DiskType)
export class DiskResolver {
  @Query(() => DiskConnection, { description: "Disks, 50 per page by default, at most 500." })
  async disks(
    @Ctx() ctx: GatewayContext,
    @Args() page: ConnectionArgs,
    @Arg("filter", () => DiskFilter, { nullable: true }) filter?: DiskFilter,
    @Arg("orderBy", () => DiskOrder, { nullable: true }) orderBy?: DiskOrder,
  ): Promise<DiskConnection> {
    // totalCount is a getter: the COUNT runs only when the client selects it.
    return (await listDisks(ctx.services.db, { ...page, filter, orderBy })) as unknown as DiskConnection;
  }

  @Query(() => DiskType, { nullable: true })
  disk(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Disk | null> {
    return ctx.services.disks.find(id);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => DiskType, {
    description: "Corrects the allocation when it was inferred wrongly (allocationSource becomes SET_BY_USER).",
  })
  setDiskAllocation(
    @Arg("id", () => ID) id: string,
    @Arg("allocation", () => DiskAllocation) allocation: DiskAllocation,
    @Ctx() ctx: GatewayContext,
  ): Promise<Disk> {
    return ctx.services.disks.setAllocation(id, allocation, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => DiskType, {
    description:
      "Lifts the DIRECT_VERIFICATION_FAILED blocker after an admin checked the image; " +
      "DIRECT stays off for its domain until turned on again.",
  })
  clearDirectVerificationFailure(@Arg("diskId", () => ID) diskId: string, @Ctx() ctx: GatewayContext): Promise<Disk> {
    return ctx.services.disks.clearDirectVerificationFailure(diskId, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Boolean, { description: "Removes a MISSING disk from the inventory." })
  forgetDisk(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<boolean> {
    return ctx.services.disks.forget(id, ctx.actor);
  }

  @FieldResolver(() => [SparsifyIssueType], {
    description: "Every reason the disk cannot be sparsified now; empty when sparsifiable.",
  })
  sparsifyBlockers(@Root() disk: Disk): SparsifyIssue[] {
    return disk.blockers;
  }

  @FieldResolver(() => [SparsifyIssueType], {
    description: "What to know before sparsifying (snapshots, a running VM it is unplugged from).",
  })
  sparsifyWarnings(@Root() disk: Disk): SparsifyIssue[] {
    return disk.warnings;
  }

  @FieldResolver(() => StorageDomainType)
  async storageDomain(@Root() disk: Disk, @Ctx() ctx: GatewayContext): Promise<StorageDomain> {
    return (await ctx.loaders.domain.load(disk.storageDomainId))!;
  }

  @FieldResolver(() => [VolumeType], { description: "Own volumes, leaf (active layer) first." })
  volumes(@Root() disk: Disk, @Ctx() ctx: GatewayContext): Promise<Volume[]> {
    return ctx.loaders.volumesOfDisk.load(disk.id);
  }

  @FieldResolver(() => DiskType, { nullable: true, description: "The template disk this disk is derived from." })
  template(@Root() disk: Disk, @Ctx() ctx: GatewayContext): Promise<Disk | null> {
    return disk.templateDiskId ? ctx.loaders.disk.load(disk.templateDiskId) : Promise.resolve(null);
  }

  @FieldResolver(() => [DiskType], {
    description: "Disks whose chains have this disk as their template, by alias; at most `first` (≤ 500).",
  })
  async derivedDisks(
    @Root() disk: Disk,
    @Ctx() ctx: GatewayContext,
    @Arg("first", () => Int, { defaultValue: 100 }) first: number,
  ): Promise<Disk[]> {
    if (first < 0 || first > 500) throw badInput("first must be between 0 and 500", "first");
    return ctx.loaders.derivedOfDisk.load({ parentId: disk.id, limit: first });
  }

  @FieldResolver(() => [DiskAttachmentType])
  attachments(@Root() disk: Disk, @Ctx() ctx: GatewayContext): Promise<DiskAttachment[]> {
    return ctx.loaders.attachmentsOfDisk.load(disk.id);
  }
}
