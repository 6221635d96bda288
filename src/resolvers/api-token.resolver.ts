import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import { Role, type Principal } from "../domain/roles.js";
import type { ApiToken } from "../entities/index.js";
import { ApiTokenType, CreateApiTokenInput, CreatedApiToken, MeType } from "../schema/api-token.type.js";
import type { CreatedToken } from "../services/token.service.js";
import type { GatewayContext } from "./context.js";

@Authorized(Role.ADMIN)
@Resolver(() => ApiTokenType)
export class ApiTokenResolver {
  @Authorized(Role.VIEWER)
  @Query(() => MeType)
  me(@Ctx() ctx: GatewayContext): Principal {
    return ctx.principal!;
  }

  @Query(() => [ApiTokenType])
  apiTokens(@Ctx() ctx: GatewayContext): Promise<ApiToken[]> {
    return ctx.services.tokens.list();
  }

  @Mutation(() => CreatedApiToken)
  createApiToken(@Arg("input") input: CreateApiTokenInput, @Ctx() ctx: GatewayContext): Promise<CreatedToken> {
    return ctx.services.tokens.create(input, ctx.actor);
  }

  @Mutation(() => ApiTokenType, { description: "Stops the token at once, including its open WebSockets." })
  revokeApiToken(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<ApiToken> {
    return ctx.services.tokens.revoke(id, ctx.actor);
  }
}
