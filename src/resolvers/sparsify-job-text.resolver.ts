import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { SparsifyJob } from "../entities/index.js";
import { SparsifyJobType } from "../schema/sparsify-job.type.js";
import type { GatewayContext } from "./context.js";
import { textFor } from "./host-internals.js";

/**
 * A job's outcome in words, without host paths for non-admins. Apart from SparsifyJobResolver and
 * without a middleware on purpose: every subscriber of a job resolves it at every event, and
 * type-graphql runs middlewares (@Authorized included) asynchronously; the parent field is
 * already authorised.
 */
@Resolver(() => SparsifyJobType)
export class SparsifyJobTextResolver {
  @FieldResolver(() => String, { nullable: true })
  outcomeMessage(@Root() job: SparsifyJob, @Ctx() ctx: GatewayContext): string | null {
    return textFor(ctx, job.outcomeMessage);
  }
}
