import { Authorized, Arg, Ctx, Int, Query, Resolver } from "type-graphql";
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
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
    @Arg("filter", () => AuditEventFilter, { nullable: true }) filter?: AuditEventFilter,
  ): Promise<AuditEventConnection> {
    return (await listEvents(ctx.services.db, { first, after, ...filter })) as unknown as AuditEventConnection;
  }
}
