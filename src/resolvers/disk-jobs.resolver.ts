import { Authorized, Arg, Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import type { Disk, SparsifyJob } from "../entities/index.js";
import { badInput } from "../errors.js";
import { DiskType } from "../schema/disk.type.js";
import { SparsifyJobType } from "../schema/sparsify-job.type.js";
import { Role } from "../domain/roles.js";
import type { GatewayContext } from "./context.js";

/** A disk's sparsify history, kept apart from the inventory fields of disk.resolver.ts. */
@Authorized(Role.VIEWER)
@Resolver(() => DiskType)
export class DiskJobsResolver {
  @FieldResolver(() => SparsifyJobType, { nullable: true })
  lastSparsifyJob(@Root() disk: Disk, @Ctx() ctx: GatewayContext): Promise<SparsifyJob | null> {
    return ctx.loaders.lastJobOfDisk.load(disk.id);
  }

  @FieldResolver(() => [SparsifyJobType], { description: "Newest first." })
  async sparsifyJobs(
    @Root() disk: Disk,
    @Ctx() ctx: GatewayContext,
    @Arg("first", () => Int, { defaultValue: 20 }) first: number,
  ): Promise<SparsifyJob[]> {
    if (first < 0 || first > 100) throw badInput("first must be between 0 and 100", "first");
    return ctx.loaders.jobsOfDisk.load({ parentId: disk.id, limit: first });
  }
}
