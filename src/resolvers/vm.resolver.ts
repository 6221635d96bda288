import { Authorized, Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { DiskAttachment, Host, Vm } from "../entities/index.js";
import { HostType } from "../schema/host.type.js";
import { DiskAttachmentType } from "../schema/disk-attachment.type.js";
import { VmStatus } from "../schema/enums.js";
import { AddVmInput, VmType } from "../schema/vm.type.js";
import { Role } from "../domain/roles.js";
import type { GatewayContext } from "./context.js";

@Authorized(Role.VIEWER)
@Resolver(() => VmType)
export class VmResolver {
  @Query(() => [VmType])
  vms(@Ctx() ctx: GatewayContext): Promise<Vm[]> {
    return ctx.services.vms.list();
  }

  @Query(() => VmType, { description: "One VM, for its view (disks, state, source)." })
  vm(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<Vm> {
    return ctx.services.vms.get(id);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => VmType)
  addVm(@Arg("input") input: AddVmInput, @Ctx() ctx: GatewayContext): Promise<Vm> {
    return ctx.services.vms.add(input, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => VmType, { description: "As reported by the orchestrator; re-assesses the VM's disks." })
  setVmStatus(
    @Arg("id", () => ID) id: string,
    @Arg("status", () => VmStatus) status: VmStatus,
    @Ctx() ctx: GatewayContext,
  ): Promise<Vm> {
    return ctx.services.vms.setStatus(id, status, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => DiskAttachmentType, { description: "Attaches (or re-plugs) a disk to a VM." })
  attachDisk(
    @Arg("vmId", () => ID) vmId: string,
    @Arg("diskId", () => ID) diskId: string,
    @Arg("plugged") plugged: boolean,
    @Ctx() ctx: GatewayContext,
  ): Promise<DiskAttachment> {
    return ctx.services.vms.attach(vmId, diskId, plugged, ctx.actor);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Boolean)
  detachDisk(
    @Arg("vmId", () => ID) vmId: string,
    @Arg("diskId", () => ID) diskId: string,
    @Ctx() ctx: GatewayContext,
  ): Promise<boolean> {
    return ctx.services.vms.detach(vmId, diskId, ctx.actor);
  }

  @FieldResolver(() => HostType, { nullable: true, description: "The host that reports this VM (LIBVIRT); null for manual VMs." })
  async host(@Root() vm: Vm, @Ctx() ctx: GatewayContext): Promise<Host | null> {
    return vm.hostId ? ctx.loaders.host.load(vm.hostId) : null;
  }

  @FieldResolver(() => [DiskAttachmentType])
  attachments(@Root() vm: Vm, @Ctx() ctx: GatewayContext): Promise<DiskAttachment[]> {
    return ctx.loaders.attachmentsOfVm.load(vm.id);
  }
}
