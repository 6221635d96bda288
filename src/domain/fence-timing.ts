/**
 * Fencing: when may a worker that lost touch with Redis still let its virt-sparsify run?
 *
 * Another host takes a job over through BullMQ's stalled-job check, which moves an active job
 * back to its queue only when (a) its lock key has expired and (b) an earlier check, after the
 * lock's last renewal, put it in the stalled set, with checks at least `stalledInterval` apart
 * (a Redis key rate-limits them across all workers). So if the holder's last successful renewal
 * was *sent* at R, no other host can start the job before R + max(lockDuration, stalledInterval).
 *
 * The holder renews the lock itself and, if no renewal has succeeded for `fenceAfterMs`, stops its
 * run (SIGTERM, SIGKILL, qemu reaped: `stopBudgetMs`). Its check runs every `tickMs`. Then
 *
 *   fenceAfterMs + tickMs + stopBudgetMs + marginMs = takeoverAfterMs,   marginMs > 0,
 *
 * so the run is dead strictly before the earliest takeover. The margin absorbs event-loop lag and
 * the drift between this host's clock and Redis's expiry clock.
 */

/** The run must be able to miss a renewal or two on a loaded host without being fenced. */
export const MIN_FENCE_AFTER_MS = 5_000;
/** Smallest margin, whatever the lock duration. */
export const MIN_MARGIN_MS = 1_000;
/** The margin grows with the lock duration: 10 % of it. */
export const MARGIN_RATIO = 0.1;
/** How often a worker checks its runs' leases. */
export const FENCE_TICK_MS = 250;

export interface FenceInputs {
  /** STALLED_INTERVAL_MS: how often stalled-job checks may run. */
  stalledIntervalMs: number;
  /** Worst time from "stop" to every process of the run being gone (SIGTERM, SIGKILL, reap). */
  stopBudgetMs: number;
  tickMs?: number;
}

export interface FencePlan {
  /** BullMQ lockDuration for the workers: at least the stalled interval, raised until a fence fits. */
  lockDurationMs: number;
  /** Earliest takeover, counted from the send time of the last successful lock renewal. */
  takeoverAfterMs: number;
  /** No successful renewal for this long: the worker stops its run. */
  fenceAfterMs: number;
  /** Period of the worker's own lock renewals (several fit in one fence time). */
  renewEveryMs: number;
  tickMs: number;
  marginMs: number;
}

const marginFor = (takeoverAfterMs: number) => Math.max(MIN_MARGIN_MS, Math.ceil(takeoverAfterMs * MARGIN_RATIO));

/** The fence plan for a worker's settings; see the module comment for why it is safe. */
export function planFence({ stalledIntervalMs, stopBudgetMs, tickMs = FENCE_TICK_MS }: FenceInputs): FencePlan {
  if (!(stalledIntervalMs > 0 && stopBudgetMs >= 0 && tickMs > 0)) throw new RangeError("fence inputs must be positive");
  const need = MIN_FENCE_AFTER_MS + tickMs + stopBudgetMs;
  // Smallest takeover time T with T - margin(T) >= need, for both branches of the margin.
  const smallest = Math.max(need + MIN_MARGIN_MS, Math.ceil(need / (1 - MARGIN_RATIO)));
  const lockDurationMs = Math.max(stalledIntervalMs, smallest);
  const takeoverAfterMs = Math.max(lockDurationMs, stalledIntervalMs);
  const marginMs = marginFor(takeoverAfterMs);
  const fenceAfterMs = takeoverAfterMs - marginMs - stopBudgetMs - tickMs;
  return { lockDurationMs, takeoverAfterMs, fenceAfterMs, renewEveryMs: Math.floor(fenceAfterMs / 4), tickMs, marginMs };
}

/** Whether a run whose last successful renewal was sent `sinceRenewalMs` ago must stop now. */
export function mustFence(plan: FencePlan, sinceRenewalMs: number): boolean {
  return sinceRenewalMs >= plan.fenceAfterMs;
}
