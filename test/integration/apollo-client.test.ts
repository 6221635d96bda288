import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { createClient, type Client as WsClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedTwoDisks } from "../support/client-fixtures.js";
import { startStack, type Stack } from "../support/stack.js";

const DISKS = gql`
  query ClientDisks {
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
  mutation ClientSparsify($diskId: ID!) {
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
  mutation ClientCancel($id: ID!) {
    cancelSparsifyJob(id: $id) {
      id
      state
    }
  }
`;
const WATCH = gql`
  subscription ClientWatch($id: ID!) {
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

/**
 * Apollo Client 4 as its docs set it up (HttpLink for queries and mutations, GraphQLWsLink over
 * graphql-ws for subscriptions, InMemoryCache) against the real gateway. The job flow is the
 * cheap one: no worker, so the job stays QUEUED until the client cancels it.
 */
describe("Apollo Client 4", () => {
  let stack: Stack;
  let diskIds: [string, string];
  let ws: WsClient;
  let client: ApolloClient;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    ({ diskIds } = await seedTwoDisks(stack));
    const authorization = `Bearer ${stack.token}`;
    ws = createClient({ url: stack.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization }, retryAttempts: 0 });
    const link = ApolloLink.split(
      ({ query }) => {
        const def = getMainDefinition(query);
        return def.kind === "OperationDefinition" && def.operation === "subscription";
      },
      new GraphQLWsLink(ws),
      new HttpLink({ uri: stack.url, headers: { authorization } }),
    );
    client = new ApolloClient({ link, cache: new InMemoryCache() });
  });
  afterAll(async () => {
    client?.stop();
    await ws?.dispose();
    await stack?.close();
  });

  it("a query: disks with the contract's names and a complete PageInfo", async () => {
    const { data } = await client.query<any>({ query: DISKS });
    expect(data.disks.totalCount).toBe(2);
    expect(data.disks.edges.map((e: any) => e.node.alias)).toEqual(["client-a", "client-b"]);
    expect(data.disks.edges[0].node).toMatchObject({
      __typename: "Disk",
      status: "OK",
      sparsifiable: true,
      sparsifyBlockers: [],
    });
    expect(data.disks.pageInfo).toMatchObject({
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: data.disks.edges[0].cursor,
      endCursor: data.disks.edges[1].cursor,
    });
  });

  it("a mutation updates the disk the list query cached: normalised by __typename and id", async () => {
    await client.query<any>({ query: DISKS });
    const diskRef = client.cache.identify({ __typename: "Disk", id: diskIds[0] });
    expect(diskRef).toBe(`Disk:${diskIds[0]}`);
    const { data } = await client.mutate<any>({ mutation: SPARSIFY, variables: { diskId: diskIds[0] } });
    expect(data.sparsifyDisk).toMatchObject({ state: "QUEUED", phase: "QUEUED", trigger: "USER", disk: { status: "LOCKED" } });
    // Read from the cache only: the list entry changed because the mutation wrote the same object.
    const cached: any = client.readQuery({ query: DISKS });
    expect(cached.disks.edges[0].node).toMatchObject({ id: diskIds[0], status: "LOCKED", sparsifiable: false });
    expect(cached.disks.edges[1].node).toMatchObject({ status: "OK" });
  });

  it("a typed error: sparsifying a disk that has a job is DISK_NOT_SPARSIFIABLE with its blockers", async () => {
    const error = await client.mutate<any>({ mutation: SPARSIFY, variables: { diskId: diskIds[0] } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(CombinedGraphQLErrors.is(error)).toBe(true);
    const [first] = (error as CombinedGraphQLErrors).errors;
    expect(first!.extensions).toMatchObject({ code: "DISK_NOT_SPARSIFIABLE", blockers: [{ code: "JOB_ACTIVE" }] });
  });

  it("a subscription to its end: the job from QUEUED to CANCELLED, then complete; the cache follows", async () => {
    const { data } = await client.mutate<any>({ mutation: SPARSIFY, variables: { diskId: diskIds[1] } });
    const jobId: string = data.sparsifyDisk.id;
    const states: string[] = [];
    const completed = new Promise<void>((resolve, reject) => {
      client.subscribe({ query: WATCH, variables: { id: jobId } }).subscribe({
        next: (result: any) => {
          if (result.error) return reject(result.error);
          states.push(result.data.sparsifyJob.state);
          if (states.length === 1) void client.mutate<any>({ mutation: CANCEL, variables: { id: jobId } }).catch(reject);
        },
        error: reject,
        complete: resolve,
      });
    });
    await completed;
    expect(states[0]).toBe("QUEUED");
    expect(states.at(-1)).toBe("CANCELLED");
    expect(
      client.readFragment({
        id: `SparsifyJob:${jobId}`,
        fragment: gql`
          fragment J on SparsifyJob {
            state
          }
        `,
      }),
    ).toEqual({ __typename: "SparsifyJob", state: "CANCELLED" });
  });
});
