import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError } from "graphql";
import type { GatewayContext } from "../../resolvers/context.js";
import type { RateLimits } from "./rate-limits.js";
import { rootFieldCount } from "./root-fields.js";

/** Spends a point per root field of each HTTP operation, by operation type, for the calling token (or address). */
export function rateLimitPlugin(limits: RateLimits): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          const key = contextValue.principal?.tokenId ?? contextValue.principal?.name ?? `anon:${contextValue.clientAddress ?? "?"}`;
          try {
            if (operation) await limits.consume(operation.operation, key, rootFieldCount(document, operation));
          } catch (error) {
            const e = error as GraphQLError;
            throw new GraphQLError(e.message, { extensions: { ...e.extensions, http: { status: 429 } } });
          }
        },
      };
    },
  };
}
