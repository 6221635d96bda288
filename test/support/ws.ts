import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

export const JOB_FIELDS = `id state phase progress host attempts actualSizeBefore actualSizeAfter reclaimedBytes outcome outcomeMessage
  error { code message } cancelRequestedAt startedAt finishedAt requestedBy disk { id status sparsifiable }`;

/** A graphql-ws client that authenticates with `token` in connectionParams. */
export function wsClient(url: string, token: string | null): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
}

export interface Followed {
  states: any[];
  error?: unknown;
  done: Promise<any[]>;
  stop(): void;
}

/** Subscribes to sparsifyJob(id) and records every state until the stream completes. */
export function followJob(client: Client, id: string, onState?: (s: any) => void): Followed {
  const states: any[] = [];
  let stop = () => {};
  const followed: Followed = {
    states,
    stop: () => stop(),
    done: new Promise((resolve, reject) => {
      stop = client.subscribe(
        { query: `subscription($id: ID!) { sparsifyJob(id: $id) { ${JOB_FIELDS} } }`, variables: { id } },
        {
          next: (v) => {
            if (v.errors) return reject(new Error(JSON.stringify(v.errors)));
            states.push(v.data!.sparsifyJob);
            onState?.(v.data!.sparsifyJob);
          },
          error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
          complete: () => resolve(states),
        },
      );
    }),
  };
  return followed;
}
