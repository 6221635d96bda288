/**
 * Apollo's CSRF prevention refuses a GET (or a "simple" POST) unless a header that only a
 * preflighted request can carry is present. `Authorization` is such a header: it is not
 * CORS-safelisted, so a page on another site cannot send a bearer token without a preflight our
 * CORS policy (none) refuses, and cookies never authenticate here. Counting it lets urql's default
 * GET queries through (they carry `Authorization` but no content-type), and still refuses an
 * unauthenticated simple request.
 */
export const CSRF_PREVENTION = {
  requestHeaders: ["x-apollo-operation-name", "apollo-require-preflight", "authorization"],
};
