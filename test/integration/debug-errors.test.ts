import { afterEach, describe, expect, it } from "vitest";
import { codeOf, startStack, type Stack } from "../support/stack.js";

/** Stack traces in GraphQL errors are opt-in (DEBUG_ERRORS=true), not implied by development mode. */
describe("stack traces in GraphQL errors", () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  const failingRequest = async (s: Stack) => {
    const result = await s.gql(`{ disks(first: 1) { totalCount } }`, undefined, { authorization: "" });
    expect(codeOf(result)).toBe("UNAUTHENTICATED");
    const typo = await s.gql(`{ disks(first: 1) { totalCountt } }`);
    expect(codeOf(typo)).toBe("GRAPHQL_VALIDATION_FAILED");
    return [result.errors![0], typo.errors![0]];
  };

  it("development mode: no stacktrace by default", async () => {
    // Apollo's own default follows process.env.NODE_ENV (vitest sets "test"): run as `npm start` does.
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = "development";
    try {
      stack = await startStack({ worker: false, env: { NODE_ENV: "development" } });
    } finally {
      process.env.NODE_ENV = saved;
    }
    for (const error of await failingRequest(stack)) expect(error.extensions.stacktrace).toBeUndefined();
  });

  it("DEBUG_ERRORS=true: errors carry their stacktrace", async () => {
    stack = await startStack({ worker: false, env: { NODE_ENV: "development", DEBUG_ERRORS: "true" } });
    for (const error of await failingRequest(stack))
      expect(error.extensions.stacktrace).toEqual(expect.arrayContaining([expect.any(String)]));
  });
});
