import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { Role } from "../../src/domain/roles.js";
import { WS_TOO_MANY } from "../../src/server/websocket.js";
import { handshake } from "../support/raw-ws.js";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";
import { firstOutcome, type SubscriptionOutcome } from "../support/subscription-outcome.js";
import { wsClient } from "../support/ws.js";

const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { name }`).join(" ")} }`;
const errorsOf = (o: SubscriptionOutcome) => (o.kind === "errors" ? o.errors : []);

/** Counts token lookups (the database work an unauthenticated caller can cause). */
function countLookups(stack: Stack): { count: number } {
  const tokens = stack.gateway.services.tokens;
  const verify = tokens.verify.bind(tokens);
  const seen = { count: 0 };
  tokens.verify = (secret: string) => {
    seen.count++;
    return verify(secret);
  };
  return seen;
}

describe("query limits name the limit they enforce", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
  });
  afterAll(() => stack?.close());

  const expensive = "{ disks(first: 500) { edges { node { sparsifyJobs(first: 100) { id } } } } }";

  it("QUERY_TOO_COMPLEX carries the cost and the limit, over HTTP and WebSocket", async () => {
    const http = await stack.gql(expensive);
    expect(http.status).toBe(400);
    expect(http.errors![0].extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: 50_000 });
    expect(http.errors![0].extensions.cost).toBeGreaterThan(50_000);
    const client = wsClient(stack.wsUrl, stack.token);
    const ws = errorsOf(await firstOutcome(client, expensive, {}, 2_000));
    await client.dispose();
    expect(ws[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: 50_000, cost: http.errors![0].extensions.cost });
  });

  it("too many tokens is TOO_MANY_TOKENS, not a Syntax Error, over HTTP and WebSocket", async () => {
    const query = `{ me { ${"name ".repeat(3_000)}} }`;
    const http = await stack.gql(query);
    expect(http.status).toBe(400);
    expect(http.errors![0].extensions).toMatchObject({ code: "TOO_MANY_TOKENS", limit: 2_000 });
    expect(http.errors![0].message).not.toMatch(/syntax/i);
    const client = wsClient(stack.wsUrl, stack.token);
    const ws = errorsOf(await firstOutcome(client, query, {}, 2_000));
    await client.dispose();
    expect(ws[0]?.extensions).toMatchObject({ code: "TOO_MANY_TOKENS", limit: 2_000 });
    expect(ws[0]?.message).not.toMatch(/syntax/i);
  });

  it.each([
    [
      "QUERY_TOO_DEEP",
      `{ disks(first: 1) { edges { node { ${"template { ".repeat(12)}id${" }".repeat(12)} } } } }`,
      { depth: 16, limit: 10 },
    ],
    ["TOO_MANY_ALIASES", aliases(20), { aliases: 20, limit: 15 }],
  ])("%s says what it found and the limit", async (code, query, extensions) => {
    const http = await stack.gql(query);
    expect(http.errors![0].extensions).toMatchObject({ code, ...extensions });
    expect(http.errors![0].message).not.toMatch(/syntax/i);
  });
});

describe("rate limits charge per root field", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { RATE_LIMIT_QUERIES_PER_SECOND: "3" } });
  });
  afterAll(() => stack?.close());

  it("four aliases of one field cost four points over HTTP", async () => {
    const token = await stack.tokenFor(Role.VIEWER);
    const auth = { authorization: `Bearer ${token}` };
    const res = await stack.gql(aliases(4), {}, auth);
    expect(codeOf(res), JSON.stringify(res.errors)).toBe("RATE_LIMITED");
    expect(res.status).toBe(429);
  });

  it("fields merged under one response key are one call", async () => {
    const token = await stack.tokenFor(Role.VIEWER);
    expect(
      ok<any>(
        await stack.gql(
          "{ me { name } me { role } ...F } fragment F on Query { me { name } }",
          {},
          { authorization: `Bearer ${token}` },
        ),
      ).me.name,
    ).toBeTruthy();
  });

  it("four aliases cost four points over WebSocket too", async () => {
    const token = await stack.tokenFor(Role.VIEWER);
    const client = wsClient(stack.wsUrl, token);
    const outcome = await firstOutcome(client, aliases(4), {}, 2_000);
    await client.dispose();
    expect(errorsOf(outcome)[0]?.extensions?.code, JSON.stringify(outcome)).toBe("RATE_LIMITED");
  });
});

describe("failed authentication is limited per client address, before any token lookup", () => {
  describe("without TRUST_PROXY", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ worker: false, env: { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: "3" } });
    });
    afterAll(() => stack?.close());

    it("after 3 bad tokens the address is refused RATE_LIMITED without a lookup; X-Forwarded-For does not help", async () => {
      const lookups = countLookups(stack);
      for (let i = 0; i < 3; i++)
        expect(codeOf(await stack.gql("{ me { name } }", {}, { authorization: `Bearer spg_guess${i}` }))).toBe("UNAUTHENTICATED");
      expect(lookups.count).toBe(3);
      const refused = await stack.gql(
        "{ me { name } }",
        {},
        { authorization: "Bearer spg_guess4", "x-forwarded-for": "203.0.113.9" },
      );
      expect(codeOf(refused)).toBe("RATE_LIMITED");
      expect(refused.status).toBe(429);
      expect(refused.errors![0].extensions.retryAfterSeconds).toBeGreaterThan(0);
      // Even a valid token is not looked up from a blocked address: the limit must cost nothing.
      expect(codeOf(await stack.gql("{ me { name } }"))).toBe("RATE_LIMITED");
      const ws = await handshake(stack.wsUrl, { authorization: "Bearer spg_guess5" });
      expect(ws).toMatchObject({ acked: false, code: WS_TOO_MANY });
      expect(lookups.count).toBe(3);
    });
  });

  describe("with TRUST_PROXY=loopback", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ worker: false, env: { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: "3", TRUST_PROXY: "loopback" } });
    });
    afterAll(() => stack?.close());

    it("the address comes from X-Forwarded-For: one client blocked, another not", async () => {
      const from = (address: string, secret: string) => ({ authorization: `Bearer ${secret}`, "x-forwarded-for": address });
      for (let i = 0; i < 3; i++)
        expect(codeOf(await stack.gql("{ me { name } }", {}, from("198.51.100.1", `spg_bad${i}`)))).toBe("UNAUTHENTICATED");
      expect(codeOf(await stack.gql("{ me { name } }", {}, from("198.51.100.1", stack.token)))).toBe("RATE_LIMITED");
      expect(codeOf(await stack.gql("{ me { name } }", {}, from("198.51.100.2", "spg_bad")))).toBe("UNAUTHENTICATED");
      expect(ok<any>(await stack.gql("{ me { name } }", {}, from("198.51.100.2", stack.token))).me.name).toBe("test-admin");
    });

    it("a token this gateway has cached valid is refused from a blocked address too, and nothing runs", async () => {
      const from = (address: string, secret: string) => ({ authorization: `Bearer ${secret}`, "x-forwarded-for": address });
      const token = await stack.tokenFor(Role.OPERATOR);
      expect(ok<any>(await stack.gql("{ me { name } }", {}, from("198.51.100.3", token))).me.name).toBeTruthy(); // now cached
      for (let i = 0; i < 3; i++)
        expect(codeOf(await stack.gql("{ me { name } }", {}, from("198.51.100.3", `spg_bad${i}`)))).toBe("UNAUTHENTICATED");
      const lookups = countLookups(stack);
      const refused = await stack.gql("{ me { name } }", {}, from("198.51.100.3", token));
      expect(codeOf(refused)).toBe("RATE_LIMITED");
      expect(refused.status).toBe(429);
      expect(refused.errors![0].extensions.retryAfterSeconds).toBeGreaterThan(0);
      expect(refused.data ?? null).toBeNull();
      expect(lookups.count).toBe(0);
      expect(ok<any>(await stack.gql("{ me { name } }", {}, from("198.51.100.4", token))).me.name).toBeTruthy();
    });
  });
});

describe("WebSocket caps", () => {
  let stack: Stack;
  const sockets: WebSocket[] = [];
  const clients: Client[] = [];
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { MAX_SOCKETS_PER_TOKEN: "2", MAX_SUBSCRIPTIONS_PER_SOCKET: "2" } });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const c of clients) await c.dispose();
    await stack?.close();
  });

  const open = async (secret: string) => {
    const h = await handshake(stack.wsUrl, { authorization: `Bearer ${secret}` });
    if (h.acked) sockets.push(h.socket);
    return h;
  };

  it("MAX_SOCKETS_PER_TOKEN: the third socket of a token closes with 4429; other tokens and freed slots still connect", async () => {
    const token = await stack.tokenFor(Role.VIEWER);
    expect((await open(token)).acked).toBe(true);
    const second = await open(token);
    expect(second.acked).toBe(true);
    const third = await open(token);
    expect(third).toMatchObject({ acked: false, code: WS_TOO_MANY });
    expect((third as { reason: string }).reason).toMatch(/MAX_SOCKETS_PER_TOKEN/);
    expect((await open(await stack.tokenFor(Role.VIEWER))).acked).toBe(true);
    const closed = new Promise((r) => (second as { socket: WebSocket }).socket.once("close", r));
    (second as { socket: WebSocket }).socket.close();
    await closed;
    await expect.poll(async () => (await open(token)).acked, { timeout: 5_000 }).toBe(true);
  });

  it("MAX_SUBSCRIPTIONS_PER_SOCKET: the third subscription on a socket is TOO_MANY_SUBSCRIPTIONS", async () => {
    const client = wsClient(stack.wsUrl, await stack.tokenFor(Role.VIEWER));
    clients.push(client);
    for (let i = 0; i < 2; i++)
      client.subscribe(
        { query: "subscription { sparsifyJobEvents { id } }" },
        { next: () => {}, error: () => {}, complete: () => {} },
      );
    const third = await firstOutcome(client, "subscription { sparsifyJobEvents { id } }", {}, 2_000);
    expect(errorsOf(third)[0]?.extensions, JSON.stringify(third)).toMatchObject({ code: "TOO_MANY_SUBSCRIPTIONS", limit: 2 });
  });
});
