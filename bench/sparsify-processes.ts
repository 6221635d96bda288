import { readdirSync, readFileSync } from "node:fs";
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

function readComm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/**
 * Notes, once a second, whether someone else's virt-sparsify is running, so a round it overlapped
 * can be flagged instead of silently skewing the comparison. It runs inside the measured process,
 * so it must cost next to nothing: a command name is read when its pid first appears and again
 * for a few ticks (a fork shows its parent's name until it execs), not every pid every second.
 * Reading all of them each second cost ~0.45 CPU-s per 17 s, counted as the gateway's own.
 */
export function watchForeignSparsify(intervalMs = 1_000): { overlapped(from: number, to: number): boolean; stop(): void } {
  const seenAt: number[] = [];
  const RECHECK_TICKS = 3;
  const names = new Map<number, { comm: string; ticks: number }>();
  const ours = new Map<number, boolean>();
  let busy = false;
  // Synchronous on purpose: /proc answers from memory, and a promise per file costs ~20× the read.
  const tick = async () => {
    const pids = readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
    const live = new Set(pids);
    for (const pid of names.keys()) if (!live.has(pid)) names.delete(pid);
    for (const pid of pids) {
      const known = names.get(pid);
      if (known && known.ticks >= RECHECK_TICKS) continue;
      names.set(pid, { comm: readComm(pid), ticks: (known?.ticks ?? 0) + 1 });
    }
    const found = pids.filter((pid) => names.get(pid)?.comm === "virt-sparsify");
    // Whether a run is ours is asked once per pid: others' runs last a minute and were walked every second.
    for (const pid of found) if (!ours.has(pid)) ours.set(pid, await descendsFromUs(pid));
    for (const pid of ours.keys()) if (!live.has(pid)) ours.delete(pid);
    if (found.some((pid) => !ours.get(pid))) seenAt.push(performance.now());
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void tick().finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return {
    overlapped: (from, to) => seenAt.some((t) => t >= from - intervalMs && t <= to + intervalMs),
    stop: () => clearInterval(timer),
  };
}
