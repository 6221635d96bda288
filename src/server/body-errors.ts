import type { ErrorRequestHandler } from "express";

/**
 * body-parser's refusals (malformed JSON, a body over the limit, an unknown charset) as GraphQL-shaped
 * JSON with a code. Without this Express answers with an HTML page that, whenever NODE_ENV is not
 * "production" (our default is development), shows the stack trace and the install path.
 */
export const bodyErrors: ErrorRequestHandler = (error, _req, res, next) => {
  const status = Number(error?.status ?? error?.statusCode);
  if (typeof error?.type !== "string" || !(status >= 400 && status < 500)) return next(error);
  const message =
    error.type === "entity.too.large"
      ? `The request body is larger than the limit of ${error.limit} bytes`
      : error.type === "entity.parse.failed"
        ? "The request body is not valid JSON (an object with query, variables, operationName)"
        : "The request body cannot be read";
  res.status(status).json({ errors: [{ message, extensions: { code: "BAD_REQUEST" } }] });
};
