import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloServerErrorCode } from "@apollo/server/errors";
import { GraphQLError } from "graphql";
import { ErrorCode } from "../../errors.js";
import type { GatewayContext } from "../../resolvers/context.js";
import { illFormedTextPath } from "./well-formed-text.js";

/**
 * Refuses, on HTTP, what must not run: a subscription (it would execute once without an event and
 * fail as an internal error; subscriptions are served by graphql-ws on the same path) and variables
 * holding text that cannot be stored as sent (see {@link illFormedTextPath}).
 */
export function requestGuardsPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation?.operation === "subscription") {
            throw new GraphQLError("Subscriptions are served over WebSocket (graphql-transport-ws) on this path, not over HTTP", {
              extensions: { code: ApolloServerErrorCode.BAD_REQUEST, http: { status: 400 } },
            });
          }
          const bad = illFormedTextPath(request.variables);
          if (bad) throw new GraphQLError(`${bad} is not well-formed Unicode (a lone surrogate)`, { extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } } });
        },
      };
    },
  };
}
