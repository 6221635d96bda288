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
export function firstOutcome(client: Client, query: string, variables: Record<string, unknown> = {}, ms = 500): Promise<SubscriptionOutcome> {
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
export const outcomeCodes = (o: SubscriptionOutcome): string[] => (o.kind === "errors" ? o.errors.map((e) => e?.extensions?.code) : []);
