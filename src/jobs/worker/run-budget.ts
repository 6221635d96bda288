import { setTimeout as sleep } from "node:timers/promises";
import type { HostSlot, HostSlots } from "./host-slots.js";

/** Which of the host's budgets a sparsify run was started under. */
export type RunBudget = "appliance" | "direct";

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
