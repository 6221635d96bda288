import type { PubSub } from "@graphql-yoga/subscription";
import { JobState } from "../../entities/enums.js";
import { activeSubscriptions } from "../../metrics.js";
import type { SparsifyJob } from "../../entities/index.js";
import type { EventBus } from "./event-bus.js";
import { fromSnapshot } from "./job-snapshot.js";

export type JobPubSub = PubSub<{ JOB_CHANGED: [string, SparsifyJob]; JOB_EVENTS: [SparsifyJob] }>;

export const isTerminal = (state: string) => state === JobState.SUCCEEDED || state === JobState.FAILED || state === JobState.CANCELLED;

/** Feeds every job change from the bus into this gateway's in-process pubsub. */
export function bridgeBusToPubSub(bus: EventBus, pubSub: JobPubSub): () => void {
  return bus.on("job", ({ job: snapshot }) => {
    // Converted once per event, not once per subscriber: thousands may watch one job.
    const job = fromSnapshot(snapshot);
    pubSub.publish("JOB_CHANGED", job.id, job);
    pubSub.publish("JOB_EVENTS", job);
  });
}

/** A later snapshot of the same job never moves it backwards (bus messages can race). */
function isNewer(next: SparsifyJob, last: SparsifyJob): boolean {
  if (isTerminal(last.state)) return false;
  if (isTerminal(next.state)) return true;
  if (next.state === JobState.QUEUED && last.state === JobState.RUNNING) return false;
  if (next.progress < last.progress) return false;
  return next.progress !== last.progress || next.state !== last.state || next.phase !== last.phase || next.cancelRequestedAt?.getTime() !== last.cancelRequestedAt?.getTime() || next.actualSizeBefore !== last.actualSizeBefore;
}

/**
 * The current state first, then every change, ending after a terminal state. The live
 * subscription opens before the current state is read, so no change in between is lost; an
 * unknown id rejects here (a clear error to the client, not a silent, endless stream).
 */
export async function openJobStream(pubSub: JobPubSub, id: string, loadCurrent: () => Promise<SparsifyJob>): Promise<AsyncGenerator<SparsifyJob>> {
  const iterator = pubSub.subscribe("JOB_CHANGED", id)[Symbol.asyncIterator]();
  let first: SparsifyJob;
  try {
    first = await loadCurrent();
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
  return (async function* () {
    activeSubscriptions.inc();
    try {
      let last = first;
      yield last;
      while (!isTerminal(last.state)) {
        const next = await iterator.next();
        if (next.done) return;
        const job = next.value;
        if (!isNewer(job, last)) continue;
        last = job;
        yield job;
      }
    } finally {
      activeSubscriptions.dec();
      await iterator.return?.();
    }
  })();
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
