import type { Client } from "graphql-ws";

/** What a subscription did first: failed, yielded, completed, stayed open, or lost its socket. */
export type SubscriptionOutcome =
  | { kind: "errors"; errors: any[] }
  | { kind: "next"; value: any }
  | { kind: "complete" }
  | { kind: "open" }
  | { kind: "closed"; code: number };

/**
 * Subscribes and reports the first thing that happens within `ms` ("open" when nothing did, which
 * for an event stream means it was accepted), then unsubscribes.
 */
export function firstOutcome(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
  ms = 500,
): Promise<SubscriptionOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: SubscriptionOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      dispose();
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ kind: "open" }), ms);
    const dispose = client.subscribe(
      { query, variables },
      {
        next: (value) => settle(value.errors?.length ? { kind: "errors", errors: [...value.errors] } : { kind: "next", value }),
        error: (error) => {
          if (Array.isArray(error)) settle({ kind: "errors", errors: error });
          else settle({ kind: "closed", code: (error as { code?: number })?.code ?? -1 });
        },
        complete: () => settle({ kind: "complete" }),
      },
    );
  });
}

/** The extensions.code of every error of an outcome (empty when there were none). */
export const outcomeCodes = (o: SubscriptionOutcome): string[] =>
  o.kind === "errors" ? o.errors.map((e) => e?.extensions?.code) : [];

/** A query or mutation over graphql-ws: its one result, its errors, or how the socket closed. */
export interface WsResult {
  data?: any;
  errors?: any[];
  closed?: number;
}

/** Runs a single-result operation over `client` and waits for it to complete or fail. */
export function wsRequest(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
  ms = 10_000,
): Promise<WsResult> {
  return new Promise((resolve, reject) => {
    let result: WsResult = {};
    const timer = setTimeout(() => reject(new Error(`no answer over WebSocket within ${ms} ms to ${query.slice(0, 80)}`)), ms);
    const done = (r: WsResult) => {
      clearTimeout(timer);
      resolve(r);
    };
    client.subscribe(
      { query, variables },
      {
        next: (value) => (result = { data: value.data, errors: value.errors ? [...value.errors] : undefined }),
        error: (error) => done(Array.isArray(error) ? { errors: error } : { closed: (error as { code?: number })?.code ?? -1 }),
        complete: () => done(result),
      },
    );
  });
}
