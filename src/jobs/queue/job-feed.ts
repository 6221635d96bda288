import type { SparsifyJob } from "../../entities/index.js";

type Listener = (job: SparsifyJob) => void;

/**
 * This gateway's job changes by job id: listeners of one job are called in publication order,
 * synchronously. Lighter than a general pubsub for the case that dominates (thousands of
 * subscribers on one job): one Set walk per event, no event object and no queue per listener
 * beyond what a reader has not taken yet.
 */
export class JobFeed {
  private readonly listeners = new Map<string, Set<Listener>>();

  publish(job: SparsifyJob): void {
    const set = this.listeners.get(job.id);
    if (set) for (const listener of set) listener(job);
  }

  /** Calls `listener` with every later change of job `id`; returns the unsubscribe. */
  listen(id: string, listener: Listener): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(id) === set) this.listeners.delete(id);
    };
  }

  /** The ids of the jobs someone listens to. */
  ids(): string[] {
    return [...this.listeners.keys()];
  }

  /** Jobs with at least one listener (tests: nothing is left behind). */
  get size(): number {
    return this.listeners.size;
  }
}
