import { setTimeout as sleep } from "node:timers/promises";
import { SparsifyMethod } from "../../domain/direct-method.js";
import type { HostSlot, HostSlots } from "./host-slots.js";

/** Which of the host's budgets a sparsify run was started under. */
export type RunBudget = "appliance" | "direct";

/**
 * The budget a run starts under: the method the job was requested with (its data), else the
 * domain's method now (`readDomainMethod`, one query; only for jobs queued without it). Without a
 * DIRECT budget on this host every run takes an appliance slot.
 */
export async function budgetFor(
  requested: SparsifyMethod | undefined,
  readDomainMethod: () => Promise<SparsifyMethod | undefined>,
  hasDirectBudget: boolean,
): Promise<RunBudget> {
  if (!hasDirectBudget) return "appliance";
  return (requested ?? (await readDomainMethod())) === SparsifyMethod.DIRECT ? "direct" : "appliance";
}

/**
 * An appliance slot for a job that was started under the DIRECT budget and runs virt-sparsify
 * after all (a fallback, or its domain switched method meanwhile): it waits, in the same job, until
 * the host's appliance budget has room. Aborting stops the wait: null.
 */
export async function waitForApplianceSlot(
  slots: HostSlots,
  label: string,
  retryMs: number,
  signal: AbortSignal,
): Promise<HostSlot | null> {
  for (;;) {
    if (signal.aborted) return null;
    const slot = await slots.tryAcquire(label);
    if (slot) return slot;
    await sleep(retryMs, undefined, { signal }).catch(() => undefined);
  }
}
