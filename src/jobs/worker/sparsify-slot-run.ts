import { DelayedError, type Job } from "bullmq";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../../config.js";
import { SparsifyMethod } from "../../domain/direct-method.js";
import type { FencePlan } from "../../domain/fence-timing.js";
import { StorageDomain } from "../../entities/index.js";
import type { SparsifyJobData } from "../queue/queue-names.js";
import { isHandedBack } from "./hand-back.js";
import type { HostSlots } from "./host-slots.js";
import { budgetFor, type RunBudget } from "./run-budget.js";
import { RunLease } from "./run-lease.js";

/**
 * Runs a sparsify job under the given budget; resolves when the job reached a terminal state, was
 * handed back, or was fenced (`fence` aborted: the run stopped and wrote nothing more).
 */
export type RunSparsify = (job: Job, signal: AbortSignal | undefined, fence: AbortSignal, budget: RunBudget) => Promise<unknown>;

/** What a sparsify job needs from its host worker to run. */
export interface SlotRunDeps {
  config: Config;
  db: DataSource;
  log: Logger;
  hostName: string;
  /** Lock duration and fence time of this worker's jobs. */
  fence: FencePlan;
  /** The host is draining: nothing new runs. */
  maintenance: boolean;
  sparsify: RunSparsify;
  slots: HostSlots;
  directSlots?: HostSlots | undefined;
}

/**
 * A sparsify run needs one of the host's slots. When they are all taken the job goes back to
 * the queue for a moment, so another host that sees the domain may take it meanwhile; a DIRECT
 * job first waits up to DIRECT_SLOT_WAIT_MS here.
 */
export async function runSparsifyInSlot(
  d: SlotRunDeps,
  job: Job<SparsifyJobData>,
  token: string | undefined,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  // A fetch already in flight when maintenance began can still deliver a job: hand it back.
  if (d.maintenance) {
    await job.moveToDelayed(Date.now() + 5_000, token);
    throw new DelayedError();
  }
  // DIRECT runs take no appliance slot but one of their own budget (the processor asks for an
  // appliance slot if the job runs virt-sparsify after all).
  const budget = await budgetFor(job.data.sparsifyMethod, () => domainMethod(d.db, job.data.storageDomainId), !!d.directSlots);
  const direct = budget === "direct";
  const label = `${d.hostName}:${job.id}`;
  // A DIRECT run ends within seconds: the job waits here for the next free DIRECT slot rather
  // than a whole SLOT_RETRY_MS in the queue (a fleet of short runs spent most of its time so).
  // Appliance runs last minutes: their jobs go back, for another host that sees the domain.
  const slot = direct
    ? await d.directSlots!.acquire(label, { waitMs: d.config.DIRECT_SLOT_WAIT_MS, ...(signal ? { signal } : {}) })
    : await d.slots.tryAcquire(label);
  if (!slot) {
    await job.moveToDelayed(Date.now() + (signal?.aborted ? 0 : d.config.SLOT_RETRY_MS), token);
    throw new DelayedError();
  }
  let result: unknown;
  const onFence = (why: string) =>
    d.log.warn({ jobId: job.id, host: d.hostName, why }, "sparsify run fenced: its lease lapsed, the run is stopped");
  const lease = new RunLease(job, token!, d.fence, onFence).start();
  try {
    result = await d.sparsify(job, signal, lease.signal, budget);
  } finally {
    lease.stop();
    await slot.release();
  }
  // Fenced: another host may own the job now. Give it back if the lock is still ours; else leave it.
  if (lease.signal.aborted) {
    await job.moveToDelayed(Date.now(), token).catch(() => {});
    throw new DelayedError();
  }
  // Handed back (the worker stops): to the queue now, not after a stalled-job check.
  if (isHandedBack(result)) {
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  }
  return result;
}

async function domainMethod(db: DataSource, storageDomainId: string): Promise<SparsifyMethod | undefined> {
  const domain = await db
    .getRepository(StorageDomain)
    .findOne({ select: { id: true, sparsifyMethod: true }, where: { id: storageDomainId } });
  return domain?.sparsifyMethod;
}
