import { Arg, Authorized, Ctx, Mutation, Resolver } from "type-graphql";
import { Role } from "../domain/roles.js";
import type { SparsifyRequestOutcome } from "../services/bulk-sparsify.service.js";
import { SparsifyDisksInput, SparsifyRequestResultType } from "../schema/sparsify-request.type.js";
import type { GatewayContext } from "./context.js";

@Resolver()
export class BulkSparsifyResolver {
  @Authorized(Role.OPERATOR)
  @Mutation(() => [SparsifyRequestResultType], {
    description:
      "Sparsifies many disks in one request: the accepted ones are locked and queued together, the " +
      "blocked ones reported with their reasons (not failed). Above the cap: TOO_MANY_DISKS.",
  })
  sparsifyDisks(
    @Arg("input", () => SparsifyDisksInput) input: SparsifyDisksInput,
    @Ctx() ctx: GatewayContext,
  ): Promise<SparsifyRequestOutcome[]> {
    return ctx.services.sparsify.bulk.request(input, ctx.actor);
  }
}
