import { createClient, type Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startStack, type Stack } from "../support/stack.js";

function collect(client: Client, query: string, variables: Record<string, unknown>, limit = Infinity) {
  return new Promise<{ values: any[]; error?: unknown }>((resolve) => {
    const values: any[] = [];
    const dispose = client.subscribe(
      { query, variables },
      {
        next: (v) => {
          values.push(v);
          if (values.length >= limit) {
            dispose();
            resolve({ values });
          }
        },
        error: (error) => resolve({ values, error }),
        complete: () => resolve({ values }),
      },
    );
  });
}

describe("GraphQL over WebSocket (graphql-ws)", () => {
  let stack: Stack;
  let client: Client;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
    client = createClient({
      url: stack.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${stack.token}` },
    });
  });
  afterAll(async () => {
    await client?.dispose();
    await stack?.close();
  });

  it("answers queries on the same port and path", async () => {
    const { values, error } = await collect(client, "{ storageDomains { id } hosts { name } }", {});
    expect(error).toBeUndefined();
    expect(values[0].data).toEqual({ storageDomains: [], hosts: [] });
  });

  it("rejects a subscription to an unknown job with NOT_FOUND instead of hanging", async () => {
    const started = Date.now();
    const { values, error } = await collect(client, "subscription($id: ID!) { sparsifyJob(id: $id) { id state } }", {
      id: "00000000-0000-4000-8000-000000000000",
    });
    const errors = (error as any[]) ?? values[0]?.errors;
    expect(errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("rejects a malformed job id with BAD_USER_INPUT", async () => {
    const { values, error } = await collect(client, "subscription($id: ID!) { sparsifyJob(id: $id) { id } }", {
      id: "not-a-uuid",
    });
    const errors = (error as any[]) ?? values[0]?.errors;
    expect(errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
