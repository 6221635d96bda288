import { readdir, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { parseProcNetUnix } from "../../src/host/libguestfs-sockdirs.js";

/**
 * libguestfs socket dirs in /tmp holding a guestfsd.sock that no live socket is bound to: left
 * by a run nobody cleaned up. Empty dirs are not counted (a concurrent run between mkdtemp and
 * bind looks like that).
 */
export async function deadSockdirs(): Promise<string[]> {
  const live = [...parseProcNetUnix(await readFile("/proc/net/unix", "utf8")).values()];
  const dirs = (await readdir("/tmp")).filter((d) => d.startsWith("libguestfs"));
  const dead: string[] = [];
  for (const d of dirs) {
    if (live.some((p) => p.startsWith(`/tmp/${d}/`))) continue;
    const entries = await readdir(`/tmp/${d}`).catch((): string[] => []);
    if (entries.includes("guestfsd.sock")) dead.push(d);
  }
  return dead.sort();
}

/**
 * Dead socket dirs that were not there before. Test files run in parallel and one of them kills
 * a worker on purpose (its successor sweeps the leftovers), so allow a moment for that.
 */
export async function newDeadSockdirs(before: string[], settleMs = 5_000): Promise<string[]> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const fresh = (await deadSockdirs()).filter((d) => !before.includes(d));
    if (fresh.length === 0 || Date.now() > deadline) return fresh;
    await sleep(250);
  }
}
