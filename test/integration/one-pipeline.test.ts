import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/domain/roles.js";
import { codeOf, startStack, type Stack } from "../support/stack.js";
import { wsRequest } from "../support/subscription-outcome.js";
import { wsClient } from "../support/ws.js";

const NO_JOB = "00000000-0000-4000-8000-000000000000";

/** One request, sent the same way over HTTP (POST) and over graphql-ws. */
interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /** The token's role (admin unless given). */
  role?: Role;
  code: string;
}

const cases: Case[] = [
  { name: "a syntax error", query: "{ me { name ", code: "GRAPHQL_PARSE_FAILED" },
  { name: "an unknown field", query: "{ nope }", code: "GRAPHQL_VALIDATION_FAILED" },
  { name: "too many tokens", query: `{ me { ${"name ".repeat(3_000)}} }`, code: "TOO_MANY_TOKENS" },
  {
    name: "too deep",
    query: `{ disks(first: 1) { edges { node { ${"template { ".repeat(12)}id${" }".repeat(12)} } } } }`,
    code: "QUERY_TOO_DEEP",
  },
  {
    name: "too many aliases",
    query: `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: me { name }`).join(" ")} }`,
    code: "TOO_MANY_ALIASES",
  },
  { name: "a missing variable", query: "query($id: ID!) { sparsifyJob(id: $id) { id } }", variables: {}, code: "BAD_USER_INPUT" },
  {
    name: "a variable of the wrong type",
    query: "query($id: ID!) { sparsifyJob(id: $id) { id } }",
    variables: { id: { a: 1 } },
    code: "BAD_USER_INPUT",
  },
  {
    name: "a malformed id",
    query: "query($id: ID!) { sparsifyJob(id: $id) { id } }",
    variables: { id: "not-a-uuid" },
    code: "BAD_USER_INPUT",
  },
  {
    name: "a lone surrogate in a variable",
    query: 'mutation($n: String!) { addStorageDomain(input: { name: $n, path: "/nowhere" }) { id } }',
    variables: { n: "a\ud800b" },
    code: "BAD_USER_INPUT",
  },
  {
    name: "a viewer's mutation",
    query: `mutation { cancelSparsifyJob(id: "${NO_JOB}") { id } }`,
    role: Role.VIEWER,
    code: "FORBIDDEN",
  },
  { name: "an unknown job", query: `mutation { cancelSparsifyJob(id: "${NO_JOB}") { id } }`, code: "NOT_FOUND" },
];

describe("one operation pipeline: the same rule answers the same code over HTTP and WebSocket", () => {
  let stack: Stack;
  const clients = new Map<Role, Client>();
  const tokens = new Map<Role, string>();
  beforeAll(async () => {
    stack = await startStack({ worker: false });
    for (const role of [Role.ADMIN, Role.VIEWER]) {
      const token = role === Role.ADMIN ? stack.token : await stack.tokenFor(role);
      tokens.set(role, token);
      clients.set(role, wsClient(stack.wsUrl, token));
    }
  });
  afterAll(async () => {
    await Promise.all([...clients.values()].map((c) => c.dispose()));
    await stack?.close();
  });

  it.each(cases)("$name: $code", async ({ query, variables, role = Role.ADMIN, code }) => {
    const http = await stack.gql(query, variables, { authorization: `Bearer ${tokens.get(role)}` });
    const ws = await wsRequest(clients.get(role)!, query, variables);
    expect(codeOf(http)).toBe(code);
    expect(ws.closed).toBeUndefined();
    expect(codeOf(ws)).toBe(code);
    // The same words too, not two texts for one rule.
    expect(ws.errors![0].message).toBe(http.errors![0].message);
  });
});

describe("one operation pipeline: one rate limit across both transports", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { RATE_LIMIT_MUTATIONS_PER_MINUTE: "2" } });
  });
  afterAll(() => stack?.close());

  it("points a token spends over HTTP are gone over WebSocket, and the refusal is RATE_LIMITED on both", async () => {
    const mutation = `mutation { cancelSparsifyJob(id: "${NO_JOB}") { id } }`;
    expect(codeOf(await stack.gql(mutation))).toBe("NOT_FOUND");
    expect(codeOf(await stack.gql(mutation))).toBe("NOT_FOUND");
    const client = wsClient(stack.wsUrl, stack.token);
    try {
      const ws = await wsRequest(client, mutation);
      expect(codeOf(ws)).toBe("RATE_LIMITED");
      const http = await stack.gql(mutation);
      expect(http.status).toBe(429);
      expect(codeOf(http)).toBe("RATE_LIMITED");
      expect(ws.errors![0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    } finally {
      await client.dispose();
    }
  });
});
