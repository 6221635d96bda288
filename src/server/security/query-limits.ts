import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { GraphQLError, type ValidationRule } from "graphql";
import type { Config } from "../../config.js";

/**
 * graphql-armor's rules as plain validation rules, shared by HTTP (Apollo) and WebSocket
 * (graphql-ws onSubscribe). Rejections are reported as validation errors with a code instead of
 * thrown (a throw would surface as "Internal server error").
 */
export function queryLimitRules(config: Config): ValidationRule[] {
  const report = {
    propagateOnRejection: false,
    onReject: [
      (ctx: { reportError: (e: GraphQLError) => void } | null, error: GraphQLError) =>
        ctx?.reportError(new GraphQLError(error.message, { extensions: { code: "GRAPHQL_VALIDATION_FAILED", limit: true } })),
    ],
  };
  return [
    maxDepthRule({ n: config.MAX_QUERY_DEPTH, ...report }),
    maxAliasesRule({ n: config.MAX_QUERY_ALIASES, ...report }),
    maxDirectivesRule({ n: 50, ...report }),
    costLimitRule({ maxCost: config.MAX_QUERY_COST, ...report }),
  ] as unknown as ValidationRule[];
}
