import { performance } from "node:perf_hooks";
import type { Job } from "bullmq";
import { mustFence, type FencePlan } from "../../domain/fence-timing.js";

/** The abort reason a fenced run sees: not a cancel, not a hand-back; the job is no longer ours. */
export const FENCE_REASON = "fenced: the job's lease lapsed";

export const isFenced = (signal: AbortSignal | undefined): boolean => signal?.aborted === true && signal.reason === FENCE_REASON;

/** What renewing needs from a BullMQ job (its own lock script; 1 = still ours). */
export type LockExtender = Pick<Job, "extendLock" | "processedOn">;

/**
 * The lease a host holds on a running job: the job's BullMQ lock, renewed here every
 * `plan.renewEveryMs` (on top of BullMQ's own renewals). Only the *send* time of a renewal that
 * succeeded counts, so the lease this worker believes in never outlasts the lock Redis holds.
 * When no renewal has succeeded for `plan.fenceAfterMs`, or Redis says the lock is not ours any
 * more, {@link signal} aborts with {@link FENCE_REASON}: the run must stop, before any other host
 * may take the job over (see domain/fence-timing.ts).
 */
export class RunLease {
  private readonly controller = new AbortController();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Monotonic send time of the last successful renewal. */
  private renewedAt: number;
  private renewing = false;

  constructor(
    private readonly job: LockExtender,
    private readonly token: string,
    private readonly plan: FencePlan,
    private readonly onFence: (why: string) => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {
    // The lock was taken when the job was fetched (processedOn, this host's clock at the fetch),
    // not when this code runs: count from there.
    const age = job.processedOn ? Math.max(0, Date.now() - job.processedOn) : 0;
    this.renewedAt = this.now() - age;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Milliseconds since the last successful renewal was sent. */
  sinceRenewal(): number {
    return this.now() - this.renewedAt;
  }

  start(): this {
    void this.renew();
    this.timers.push(setInterval(() => void this.renew(), this.plan.renewEveryMs));
    this.timers.push(setInterval(() => this.check(), this.plan.tickMs));
    for (const t of this.timers) t.unref();
    return this;
  }

  stop(): void {
    this.timers.forEach(clearInterval);
    this.timers.length = 0;
  }

  private check(): void {
    if (!this.controller.signal.aborted && mustFence(this.plan, this.sinceRenewal())) {
      this.fence(
        `no lock renewal succeeded for ${Math.round(this.sinceRenewal())} ms (fence after ${this.plan.fenceAfterMs} ms)`,
      );
    }
  }

  private fence(why: string): void {
    if (this.controller.signal.aborted) return;
    this.stop();
    this.controller.abort(FENCE_REASON);
    this.onFence(why);
  }

  /** One renewal at a time: a hung one (Redis unreachable) must not pile up more behind it. */
  private async renew(): Promise<void> {
    if (this.renewing || this.controller.signal.aborted) return;
    this.renewing = true;
    const sentAt = this.now();
    try {
      const held = await this.job.extendLock(this.token, this.plan.lockDurationMs);
      if (held === 1) this.renewedAt = Math.max(this.renewedAt, sentAt);
      else this.fence("the job's lock is no longer this worker's (expired or taken over)");
    } catch {
      // Unreachable Redis: the lease keeps ageing and the check fences when it must.
    } finally {
      this.renewing = false;
    }
  }
}
