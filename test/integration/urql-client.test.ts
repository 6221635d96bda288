import { Client, fetchExchange, gql, subscriptionExchange } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { createClient, type Client as WsClient } from "graphql-ws";
import { onEnd, pipe, subscribe } from "wonka";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedTwoDisks } from "../support/client-fixtures.js";
import { startStack, type Stack } from "../support/stack.js";

const DISKS = gql`
  query UrqlDisks {
    disks(first: 10, orderBy: { field: ALIAS, direction: ASC }) {
      totalCount
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        cursor
        node {
          id
          alias
          status
          sparsifiable
          sparsifyBlockers {
            code
            message
          }
        }
      }
    }
  }
`;
const SPARSIFY = gql`
  mutation UrqlSparsify($diskId: ID!) {
    sparsifyDisk(diskId: $diskId) {
      id
      state
      phase
      trigger
      disk {
        id
        status
        sparsifiable
      }
    }
  }
`;
const CANCEL = gql`
  mutation UrqlCancel($id: ID!) {
    cancelSparsifyJob(id: $id) {
      id
      state
    }
  }
`;
const WATCH = gql`
  subscription UrqlWatch($id: ID!) {
    sparsifyJob(id: $id) {
      id
      state
      phase
      progress
      outcome
      error {
        code
      }
    }
  }
`;
const JOB = gql`
  query UrqlJob($id: ID!) {
    sparsifyJob(id: $id) {
      id
      state
    }
  }
`;

/**
 * urql with its defaults (queries as GET within the URL limit, fetch, subscriptionExchange over
 * graphql-ws) and the normalised Graphcache, against the real gateway. Types without an id are
 * embedded (keys → null); everything else is keyed by id.
 */
describe("urql", () => {
  let stack: Stack;
  let diskIds: [string, string];
  let ws: WsClient;
  let client: Client;
  const methods: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    ({ diskIds } = await seedTwoDisks(stack));
    const authorization = `Bearer ${stack.token}`;
    ws = createClient({ url: stack.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization }, retryAttempts: 0 });
    client = new Client({
      url: stack.url,
      fetchOptions: { headers: { authorization } },
      fetch: (input, init) => {
        methods.push(init?.method ?? "GET");
        return fetch(input, init);
      },
      exchanges: [
        cacheExchange({
          keys: {
            DiskConnection: () => null,
            DiskEdge: () => null,
            PageInfo: () => null,
            SparsifyIssue: () => null,
            JobError: () => null,
          },
          // Lookups by id resolve to the normalised entity, so they are answered from the cache.
          resolvers: { Query: { sparsifyJob: (_parent, args) => ({ __typename: "SparsifyJob", id: args.id as string }) } },
        }),
        fetchExchange,
        subscriptionExchange({
          forwardSubscription: (request) => ({
            subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? "" }, sink) }),
          }),
        }),
      ],
    });
  });
  afterAll(async () => {
    await ws?.dispose();
    await stack?.close();
  });

  it("a query, sent as urql's default GET with a bearer token: answered, not refused as CSRF", async () => {
    methods.length = 0;
    const result = await client.query(DISKS, {}).toPromise();
    expect(result.error).toBeUndefined();
    expect(methods).toEqual(["GET"]);
    expect(result.data.disks.totalCount).toBe(2);
    expect(result.data.disks.edges.map((e: any) => e.node.alias)).toEqual(["client-a", "client-b"]);
    expect(result.data.disks.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it("a mutation updates the disk the list query cached (Graphcache, keyed by id)", async () => {
    await client.query(DISKS, {}).toPromise();
    const mutated = await client.mutation(SPARSIFY, { diskId: diskIds[0] }).toPromise();
    expect(mutated.error).toBeUndefined();
    expect(mutated.data.sparsifyDisk).toMatchObject({ state: "QUEUED", disk: { status: "LOCKED" } });
    methods.length = 0;
    const cached = await client.query(DISKS, {}, { requestPolicy: "cache-only" }).toPromise();
    expect(methods).toEqual([]);
    expect(cached.data.disks.edges[0].node).toMatchObject({ id: diskIds[0], status: "LOCKED", sparsifiable: false });
    expect(cached.data.disks.edges[1].node).toMatchObject({ status: "OK" });
  });

  it("a typed error: DISK_NOT_SPARSIFIABLE with the disk's blockers in extensions", async () => {
    const result = await client.mutation(SPARSIFY, { diskId: diskIds[0] }).toPromise();
    expect(result.error?.graphQLErrors[0]?.extensions).toMatchObject({
      code: "DISK_NOT_SPARSIFIABLE",
      blockers: [{ code: "JOB_ACTIVE" }],
    });
  });

  it("a subscription to its end: QUEUED to CANCELLED, then the stream ends; the cache follows", async () => {
    const { data } = await client.mutation(SPARSIFY, { diskId: diskIds[1] }).toPromise();
    const jobId: string = data.sparsifyDisk.id;
    const states: string[] = [];
    await new Promise<void>((resolve, reject) => {
      pipe(
        client.subscription(WATCH, { id: jobId }),
        onEnd(() => resolve()),
        subscribe((result) => {
          if (result.error) return reject(result.error);
          states.push(result.data.sparsifyJob.state);
          if (states.length === 1) void client.mutation(CANCEL, { id: jobId }).toPromise().catch(reject);
        }),
      );
    });
    expect(states[0]).toBe("QUEUED");
    expect(states.at(-1)).toBe("CANCELLED");
    const cached = await client.query(JOB, { id: jobId }, { requestPolicy: "cache-only" }).toPromise();
    expect(cached.data?.sparsifyJob).toMatchObject({ id: jobId, state: "CANCELLED" });
  });
});

/** The CSRF rule on its own, with plain fetch: what a bearer header changes and what it does not. */
describe("CSRF prevention and GET", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
  });
  afterAll(() => stack?.close());

  const get = (headers: Record<string, string>) =>
    fetch(`${stack.url}?query=${encodeURIComponent("{ me { name } }")}`, { headers });

  it("a GET with Authorization and no content-type (urql's default) is answered", async () => {
    const res = await get({ authorization: `Bearer ${stack.token}`, accept: "application/graphql-response+json" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { me: { name: "test-admin" } } });
  });

  it("a GET with neither Authorization nor a preflight header is still refused as CSRF", async () => {
    const res = await get({ accept: "application/json" });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/Cross-Site Request Forgery/);
  });

  it("an empty Authorization header does not count", async () => {
    const res = await get({ authorization: "", accept: "application/json" });
    expect(res.status).toBe(400);
  });

  it("a GET with a wrong bearer token gets past CSRF and is refused as UNAUTHENTICATED", async () => {
    const res = await get({ authorization: "Bearer nope", accept: "application/json" });
    const body: any = await res.json();
    expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("a mutation over GET stays refused, bearer or not", async () => {
    const res = await fetch(
      `${stack.url}?query=${encodeURIComponent('mutation { forgetDisk(id: "00000000-0000-4000-8000-000000000000") }')}`,
      {
        headers: { authorization: `Bearer ${stack.token}`, accept: "application/json" },
      },
    );
    const body: any = await res.json();
    expect(res.status).toBe(405);
    expect(body.data).toBeUndefined();
  });
});
