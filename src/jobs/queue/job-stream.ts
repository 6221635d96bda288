import type { PubSub } from "@graphql-yoga/subscription";
import { JobState } from "../../entities/enums.js";
import { activeSubscriptions } from "../../metrics.js";
import type { SparsifyJob } from "../../entities/index.js";
import type { EventBus } from "./event-bus.js";
import type { JobFeed } from "./job-feed.js";
import { fromSnapshot } from "./job-snapshot.js";

export type JobPubSub = PubSub<{ JOB_CHANGED: [string, SparsifyJob]; JOB_EVENTS: [SparsifyJob] }>;

export const isTerminal = (state: string) =>
  state === JobState.SUCCEEDED || state === JobState.FAILED || state === JobState.CANCELLED;

/**
 * Feeds every job change from the bus into this gateway's job feed (per job) and pubsub (all jobs).
 * After the bus was away (a Redis restart, a failover), the jobs someone follows are read again
 * with `loadJobs` and fed as changes: a job that ended meanwhile would otherwise never end for its
 * subscribers. A stream drops what it already has (isNewer). Streams of all jobs' events
 * (sparsifyJobEvents) get no replay: they may miss what happened while the bus was away.
 */
export function bridgeBusToPubSub(
  bus: EventBus,
  pubSub: JobPubSub,
  feed: JobFeed,
  loadJobs?: (ids: string[]) => Promise<SparsifyJob[]>,
  onResyncError: (error: Error) => void = () => {},
): () => void {
  const offJobs = bus.on("job", ({ job: snapshot }) => {
    // Converted once per event, not once per subscriber: thousands may watch one job.
    const job = fromSnapshot(snapshot);
    feed.publish(job);
    pubSub.publish("JOB_CHANGED", job.id, job);
    pubSub.publish("JOB_EVENTS", job);
  });
  const offResync = bus.onResubscribed(async () => {
    const ids = feed.ids();
    if (!loadJobs || ids.length === 0) return;
    try {
      for (const job of await loadJobs(ids)) feed.publish(job);
    } catch (error) {
      onResyncError(error as Error);
    }
  });
  return () => {
    offJobs();
    offResync();
  };
}

/** A later snapshot of the same job never moves it backwards (bus messages can race). */
function isNewer(next: SparsifyJob, last: SparsifyJob): boolean {
  if (isTerminal(last.state)) return false;
  if (isTerminal(next.state)) return true;
  if (next.state === JobState.QUEUED && last.state === JobState.RUNNING) return false;
  if (next.progress < last.progress) return false;
  return (
    next.progress !== last.progress ||
    next.state !== last.state ||
    next.phase !== last.phase ||
    next.cancelRequestedAt?.getTime() !== last.cancelRequestedAt?.getTime() ||
    next.actualSizeBefore !== last.actualSizeBefore
  );
}

/**
 * The current state first, then every change, ending after a terminal state. The live
 * subscription opens before the current state is read, so no change in between is lost; an
 * unknown id rejects here (a clear error to the client, not a silent, endless stream).
 */
export async function openJobStream(
  feed: JobFeed,
  id: string,
  loadCurrent: () => Promise<SparsifyJob>,
): Promise<AsyncIterableIterator<SparsifyJob>> {
  const stream = new JobStream();
  stream.off = feed.listen(id, stream.push);
  try {
    stream.start(await loadCurrent());
  } catch (error) {
    stream.off();
    throw error;
  }
  return stream;
}

/**
 * One subscriber's view of one job. A plain iterator, not an async generator: per event it costs
 * one callback and at most one promise (thousands of subscribers resume on every event), and its
 * return() takes effect at once instead of waiting for the pending next().
 */
class JobStream implements AsyncIterableIterator<SparsifyJob> {
  off: () => void = () => {};
  private readonly queued: SparsifyJob[] = [];
  private waiting: ((result: IteratorResult<SparsifyJob>) => void) | null = null;
  private last: SparsifyJob | null = null;
  private started = false;
  private ended = false;

  /** Changes that came before the current state was read wait in `queued`, checked against it. */
  start(first: SparsifyJob): void {
    this.started = true;
    activeSubscriptions.inc();
    this.queued.unshift(first);
  }

  readonly push = (job: SparsifyJob): void => {
    if (this.ended || (this.last && isTerminal(this.last.state))) return;
    if (this.waiting && this.last && this.queued.length === 0) {
      if (!isNewer(job, this.last)) return;
      const resolve = this.waiting;
      this.waiting = null;
      resolve(this.yield(job));
      return;
    }
    this.queued.push(job);
  };

  next(): Promise<IteratorResult<SparsifyJob>> {
    if (this.ended || (this.last && isTerminal(this.last.state))) return this.return();
    while (this.queued.length) {
      const job = this.queued.shift()!;
      if (!this.last || isNewer(job, this.last)) return Promise.resolve(this.yield(job));
    }
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<SparsifyJob>> {
    if (!this.ended) {
      this.ended = true;
      this.off();
      if (this.started) activeSubscriptions.dec();
      this.queued.length = 0;
      this.waiting?.({ done: true, value: undefined });
      this.waiting = null;
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<SparsifyJob> {
    return this;
  }

  private yield(job: SparsifyJob): IteratorResult<SparsifyJob> {
    this.last = job;
    return { done: false, value: job };
  }
}

/** Every change of every job that matches the filter, new jobs included. */
export async function* followJobEvents(pubSub: JobPubSub, match: (job: SparsifyJob) => boolean): AsyncGenerator<SparsifyJob> {
  activeSubscriptions.inc();
  try {
    for await (const job of pubSub.subscribe("JOB_EVENTS")) {
      if (match(job)) yield job;
    }
  } finally {
    activeSubscriptions.dec();
  }
}
