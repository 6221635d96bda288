import { Authorized, Arg, Args, Ctx, Query, Resolver } from "type-graphql";
import { ConnectionArgs } from "../schema/connection.args.js";
import { AuditEventConnection, AuditEventFilter, AuditEventType } from "../schema/audit-event.type.js";
import { listEvents } from "../services/history-query.service.js";
import { Role } from "../domain/roles.js";
import type { GatewayContext } from "./context.js";

@Authorized(Role.VIEWER)
@Resolver(() => AuditEventType)
export class AuditEventResolver {
  @Query(() => AuditEventConnection, { description: "The audit trail, newest first." })
  async events(
    @Ctx() ctx: GatewayContext,
    @Args() page: ConnectionArgs,
    @Arg("filter", () => AuditEventFilter, { nullable: true }) filter?: AuditEventFilter,
  ): Promise<AuditEventConnection> {
    return (await listEvents(ctx.services.db, { ...page, ...filter })) as unknown as AuditEventConnection;
  }
}
