import { ok, type Stack } from "./stack.js";
import { waitFor } from "./wait-for.js";

/**
 * Call right after setHostMaintenance returned: waits until the stack's (in-process, same clock)
 * worker has read the flag. Every heartbeat stamps the host row and then reads it back (the
 * mutation's hosts-changed message triggers one at once), so a heartbeat stamped after the mutation
 * returned has seen maintenance; the worker sets its own flag as soon as that read returns, and
 * from then on hands back any job it is given.
 */
export async function maintenanceApplied(stack: Stack, timeout = 10_000): Promise<void> {
  const set = Date.now();
  await waitFor(
    async () => {
      const { hosts } = ok<any>(await stack.gql(`{ hosts { name heartbeatAt } }`));
      const host = hosts.find((h: any) => h.name === stack.config.HOST_NAME);
      return new Date(host.heartbeatAt).getTime() > set;
    },
    { timeout, interval: 50, what: "the worker to apply maintenance" },
  );
}
