import { setTimeout as sleep } from "node:timers/promises";

/** Polls until `check` returns a truthy value (usable in hooks, where expect.poll is not). */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  { timeout = 30_000, interval = 200, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(interval);
  }
}
