import { Authorized, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { Disk, DiskAttachment, Vm } from "../entities/index.js";
import { DiskAttachmentType } from "../schema/disk-attachment.type.js";
import { DiskType } from "../schema/disk.type.js";
import { VmType } from "../schema/vm.type.js";
import { Role } from "../domain/roles.js";
import type { GatewayContext } from "./context.js";

@Authorized(Role.VIEWER)
@Resolver(() => DiskAttachmentType)
export class DiskAttachmentResolver {
  @FieldResolver(() => VmType)
  async vm(@Root() a: DiskAttachment, @Ctx() ctx: GatewayContext): Promise<Vm> {
    return (await ctx.loaders.vm.load(a.vmId))!;
  }

  @FieldResolver(() => DiskType)
  async disk(@Root() a: DiskAttachment, @Ctx() ctx: GatewayContext): Promise<Disk> {
    return (await ctx.loaders.disk.load(a.diskId))!;
  }
}
