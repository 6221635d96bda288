import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError } from "graphql";
import type { GatewayContext } from "../resolvers/context.js";
import type { OperationPipeline } from "./operation-pipeline.js";
import { authRateLimited } from "./security/authenticate.js";

/** The HTTP status each refusal carries over HTTP (WebSocket has none). */
const STATUS: Record<string, number> = { RATE_LIMITED: 429 };

const withStatus = (error: GraphQLError) =>
  new GraphQLError(error.message, {
    extensions: { ...error.extensions, http: { status: STATUS[String(error.extensions.code)] ?? 400 } },
  });

/**
 * The pipeline's steps after Apollo has parsed and validated (with the pipeline's limit rules):
 * the operation's guards, then the rate limit, as WebSocket runs them in `prepare`.
 */
export function operationPipelinePlugin(pipeline: OperationPipeline): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, contextValue }) {
          if (!operation) return;
          const refused = pipeline.guard("http", operation, request.variables);
          if (refused) throw withStatus(refused);
          // The failed-authentication check of a cached token went out before parsing: one wait for both.
          const [blocked, charged] = await Promise.allSettled([
            contextValue.authBlockedFor ?? null,
            pipeline.charge(contextValue.principal, contextValue.clientAddress, document, operation),
          ]);
          if (blocked.status === "fulfilled" && blocked.value !== null) throw authRateLimited(blocked.value);
          if (charged.status === "rejected") throw withStatus(charged.reason as GraphQLError);
        },
      };
    },
  };
}
