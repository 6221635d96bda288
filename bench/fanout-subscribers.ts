import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { stateKey } from "./fanout-job.js";

/** What a job page shows (the README's `Watch`); both servers answer it with the same JSON. */
export const FANOUT_QUERY = `subscription($id: ID!) { sparsifyJob(id: $id) {
  id state phase progress host actualSizeBefore actualSizeAfter reclaimedBytes outcome outcomeMessage error { code message } } }`;

interface Subscriber {
  client: Client;
  /** State keys in arrival order, and when each arrived (`performance.now()`, first thing in `next`). */
  keys: string[];
  at: number[];
  error?: string;
  completedAt?: number;
  subscribed: Promise<void>;
  done: Promise<void>;
  closed: Promise<void>;
}

export interface Delivery {
  /** Every subscriber got exactly the expected states, in order, then `complete`. */
  inOrder: boolean;
  problems: string[];
  /** Per event after the current state: last − first subscriber's receive time, ms (NaN: nobody got it). */
  skewsMs: number[];
  /** Per event: its publication → the last subscriber's receipt, ms. */
  lagsMs: number[];
  /** The end's publication → the last stream's `complete`, ms. */
  completeMs: number;
  /** Streams that ended with an error or a closed socket instead of `complete`. */
  dropped: number;
  /** `next` messages received after the current state, over all subscribers. */
  received: number;
}

/**
 * `keys` against `expected`: exactly, or with `coalesced` a subsequence of it that keeps the first
 * and last state (a slow reader may skip progress, never a transition, never go back).
 */
function matches(keys: string[], expected: string[], coalesced: boolean): boolean {
  if (!coalesced) return keys.length === expected.length && keys.every((k, j) => k === expected[j]);
  if (keys[0] !== expected[0] || keys.at(-1) !== expected.at(-1)) return false;
  let at = 0;
  for (const key of keys) {
    const found = expected.indexOf(key, at);
    if (found < 0) return false;
    at = found + 1;
  }
  return true;
}

function subscribe(wsUrl: string, token: string | null, jobId: string, sample: { json?: string }): Subscriber {
  // One socket per subscriber, as one browser tab has one: retries off so a failure shows.
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
  let onSubscribed = () => {};
  let onDone = () => {};
  const s: Subscriber = {
    client,
    keys: [],
    at: [],
    subscribed: new Promise((resolve) => (onSubscribed = resolve)),
    done: new Promise((resolve) => (onDone = resolve)),
    closed: new Promise((resolve) => client.on("closed", () => resolve())),
  };
  client.subscribe(
    { query: FANOUT_QUERY, variables: { id: jobId } },
    {
      next: (value) => {
        const at = performance.now();
        const job = (value.data as { sparsifyJob?: { state: string; progress: number } } | null | undefined)?.sparsifyJob;
        if (!job) s.error ??= `no data: ${JSON.stringify(value.errors)}`;
        else {
          s.keys.push(stateKey(job));
          s.at.push(at);
          if (s.keys.length === 2) sample.json ??= JSON.stringify(value);
        }
        onSubscribed();
      },
      error: (e) => {
        // graphql-ws reports a socket closed mid-stream as its CloseEvent (1006: no close frame).
        const closed = e as { code?: number; reason?: string };
        s.error ??=
          e instanceof Error ? e.message : closed.code ? `closed: ${closed.code} ${closed.reason ?? ""}` : JSON.stringify(e);
        onSubscribed();
        onDone();
      },
      complete: () => {
        s.completedAt = performance.now();
        onSubscribed();
        onDone();
      },
    },
  );
  return s;
}

/** N graphql-ws clients on one job's `sparsifyJob`, in this process, each on its own socket. */
export class Subscribers {
  /** The JSON of one progress event as a client parsed it, to show both servers send the same. */
  readonly sample: { json?: string } = {};
  private readonly all: Subscriber[] = [];

  /**
   * Opens `n` subscriptions, `wave` at a time (each wave waits for its current states, so the
   * server's listen backlog never overflows); resolves when every one has its current state.
   */
  async open(wsUrl: string, token: string | null, jobId: string, n: number, wave: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.all.length < n) {
      const batch = Array.from({ length: Math.min(wave, n - this.all.length) }, () =>
        subscribe(wsUrl, token, jobId, this.sample),
      );
      this.all.push(...batch);
      const left = deadline - performance.now();
      const settled = await Promise.race([
        Promise.all(batch.map((s) => s.subscribed)).then(() => true),
        sleep(Math.max(0, left)).then(() => false),
      ]);
      if (!settled) throw new Error(`only part of ${n} subscriptions got their current state within ${timeoutMs} ms`);
      const failed = batch.find((s) => s.error);
      if (failed) throw new Error(`a subscription failed while opening: ${failed.error}`);
    }
  }

  /** Resolves true when every stream has completed (or failed), false after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<boolean> {
    return Promise.race([Promise.all(this.all.map((s) => s.done)).then(() => true), sleep(timeoutMs).then(() => false)]);
  }

  /**
   * Checks each subscriber's states against `expected` and times each event across all of them;
   * `publishedAt` holds when each event after the current state was published. With `coalesced`,
   * skipped progress updates are allowed (see {@link matches}); an event nobody got has no lag.
   */
  delivery(expected: string[], publishedAt: number[], coalesced = false): Delivery {
    const problems: string[] = [];
    let bad = 0;
    for (const [i, s] of this.all.entries()) {
      const same = matches(s.keys, expected, coalesced);
      if (same && !s.error) continue;
      if (++bad <= 3) problems.push(`subscriber ${i}: got [${s.keys.join(" ")}]${s.error ? `, error ${s.error}` : ""}`);
    }
    if (bad > 3) problems.push(`… ${bad} subscribers in all`);
    const lagsMs: number[] = [];
    const skewsMs = expected.slice(1).map((key, k) => {
      let [first, last] = [Infinity, -Infinity];
      for (const s of this.all) {
        const j = s.keys.indexOf(key);
        if (j < 0) continue;
        first = Math.min(first, s.at[j]!);
        last = Math.max(last, s.at[j]!);
      }
      lagsMs.push(Number.isFinite(last) ? last - publishedAt[k]! : NaN);
      return Number.isFinite(first) ? last - first : NaN;
    });
    const completeMs = Math.max(...this.all.map((s) => s.completedAt ?? NaN)) - publishedAt.at(-1)!;
    const dropped = this.all.filter((s) => s.error).length;
    const received = this.all.reduce((sum, s) => sum + Math.max(0, s.keys.length - 1), 0);
    return { inOrder: bad === 0, problems, skewsMs, lagsMs, completeMs, dropped, received };
  }

  /** Disposes every client and waits (bounded) until their sockets are closed. */
  async close(timeoutMs = 15_000): Promise<void> {
    await Promise.all(this.all.map((s) => s.client.dispose()));
    await Promise.race([Promise.all(this.all.map((s) => s.closed)), sleep(timeoutMs)]);
  }
}
