import type { RequestHandler } from "express";
import { tokenLimitError } from "./query-limits.js";

/**
 * TOO_MANY_TOKENS (400) before Apollo parses the query: Apollo's own parse limit would answer
 * GRAPHQL_PARSE_FAILED "Syntax Error", which does not say which limit was broken.
 */
export function refuseTooManyTokens(max: number): RequestHandler {
  return (req, res, next) => {
    const query = (req.body as { query?: unknown } | undefined)?.query ?? (req.query as { query?: unknown } | undefined)?.query;
    const error = tokenLimitError(query, max);
    if (!error) return next();
    res.status(400).json({ errors: [{ message: error.message, extensions: error.extensions }] });
  };
}
