import { readdir, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] ?? 0);
}

async function descendsFromUs(pid: number): Promise<boolean> {
  for (let p = pid, hops = 0; p > 1 && hops < 32; p = await parentOf(p), hops++) if (p === process.pid) return true;
  return false;
}

/** Pids of virt-sparsify processes on this machine that this process did not start. */
export async function foreignSparsifyPids(): Promise<number[]> {
  const pids = (await readdir("/proc")).filter((d) => /^\d+$/.test(d)).map(Number);
  const comms = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")));
  const found = pids.filter((_, i) => comms[i]!.trim() === "virt-sparsify");
  const ours = await Promise.all(found.map(descendsFromUs));
  return found.filter((_, i) => !ours[i]);
}

/**
 * Waits until no other virt-sparsify runs before a timed run starts: on a 2-core machine another
 * run (a concurrent e2e suite) would both skew the timing and exceed two runs at once.
 */
export async function waitForNoOtherSparsify(timeoutMs = 15 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (let busy = await foreignSparsifyPids(); busy.length; busy = await foreignSparsifyPids()) {
    if (!told) console.log(`  (waiting: another virt-sparsify is running, pid ${busy.join(", ")})`);
    told = true;
    if (Date.now() > deadline) throw new Error(`other virt-sparsify runs did not end within ${timeoutMs / 1000} s`);
    await sleep(1_000);
  }
}

/**
 * Notes, once a second, whether someone else's virt-sparsify is running, so a round it overlapped
 * can be flagged instead of silently skewing the comparison (one /proc listing a second).
 */
export function watchForeignSparsify(intervalMs = 1_000): { overlapped(from: number, to: number): boolean; stop(): void } {
  const seenAt: number[] = [];
  const timer = setInterval(() => {
    void foreignSparsifyPids().then((pids) => pids.length && seenAt.push(performance.now()));
  }, intervalMs);
  timer.unref();
  return {
    overlapped: (from, to) => seenAt.some((t) => t >= from - intervalMs && t <= to + intervalMs),
    stop: () => clearInterval(timer),
  };
}
