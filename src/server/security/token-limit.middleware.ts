import type { RequestHandler } from "express";
import type { GraphQLError } from "graphql";

/**
 * TOO_MANY_TOKENS (400) before Apollo parses the query: Apollo's own parse limit would answer
 * GRAPHQL_PARSE_FAILED "Syntax Error", which does not say which limit was broken.
 */
export function refuseTooManyTokens(tokenLimit: (query: unknown) => GraphQLError | null): RequestHandler {
  return (req, res, next) => {
    const query = (req.body as { query?: unknown } | undefined)?.query ?? (req.query as { query?: unknown } | undefined)?.query;
    const error = tokenLimit(query);
    if (!error) return next();
    res.status(400).json({ errors: [{ message: error.message, extensions: error.extensions }] });
  };
}
