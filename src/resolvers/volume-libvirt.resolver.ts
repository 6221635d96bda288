import { Authorized, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { Role } from "../domain/roles.js";
import type { Volume } from "../entities/index.js";
import { VolumeType } from "../schema/volume.type.js";
import type { GatewayContext } from "./context.js";

@Authorized(Role.VIEWER)
@Resolver(() => VolumeType)
export class VolumeLibvirtResolver {
  @FieldResolver(() => String, {
    nullable: true,
    description:
      "The libvirt `<driver type>` a domain opens this volume with (qcow2, raw); null when no libvirt domain describes it.",
  })
  libvirtDriverType(@Root() volume: Volume, @Ctx() ctx: GatewayContext): Promise<string | null> {
    return ctx.loaders.driverTypeOfVolume.load(volume.id);
  }
}
