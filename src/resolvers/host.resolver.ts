import { Authorized, Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { Host } from "../entities/index.js";
import { notFound } from "../errors.js";
import { HostLibvirtType, HostType } from "../schema/host.type.js";
import { recordEvent } from "../services/audit.js";
import { parseId } from "../services/ids.js";
import { Role } from "../domain/roles.js";
import type { GatewayContext } from "./context.js";

@Authorized(Role.VIEWER)
@Resolver(() => HostType)
export class HostResolver {
  @Query(() => [HostType])
  hosts(@Ctx() ctx: GatewayContext): Promise<Host[]> {
    return ctx.services.db.getRepository(Host).find({ order: { name: "ASC" } });
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => HostType, { description: "Drains a host: it finishes what it runs and takes nothing new." })
  async setHostMaintenance(@Arg("id", () => ID) id: string, @Arg("on") on: boolean, @Ctx() ctx: GatewayContext): Promise<Host> {
    const repo = ctx.services.db.getRepository(Host);
    const host = await repo.findOneBy({ id: parseId(id) });
    if (!host) throw notFound("Host", id);
    await repo.update({ id: host.id }, { maintenance: on });
    await ctx.services.bus.publish({ type: "hosts-changed" });
    await recordEvent(ctx.services.db.manager, {
      type: on ? "HOST_MAINTENANCE_ON" : "HOST_MAINTENANCE_OFF",
      actor: ctx.actor,
      message: `Host ${host.name} maintenance ${on ? "on" : "off"}`,
    });
    return (await repo.findOneBy({ id: host.id }))!;
  }

  @FieldResolver(() => HostLibvirtType)
  libvirt(@Root() host: Host): HostLibvirtType {
    return { uri: host.libvirtUri, state: host.libvirtState, lastEventAt: host.libvirtLastEventAt, message: host.libvirtMessage };
  }

  @FieldResolver(() => Boolean)
  online(@Root() host: Host, @Ctx() ctx: GatewayContext): boolean {
    return Date.now() - new Date(host.heartbeatAt).getTime() < ctx.services.config.HOST_OFFLINE_AFTER_MS;
  }
}
