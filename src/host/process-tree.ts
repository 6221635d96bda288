import { readFileSync } from "node:fs";
import { readdir, readFile, readlink } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A process identified by pid *and* start time, so a recycled pid is never mistaken for the
 * process we saw (and never killed by mistake).
 */
export interface ProcessRef {
  pid: number;
  ppid: number;
  /** Field 22 of /proc/<pid>/stat, in clock ticks since boot. */
  startTime: string;
}

/**
 * Parses /proc/<pid>/stat. The command name is in parentheses and may itself contain spaces
 * and parentheses, so fields are counted from the *last* `)`. Pure.
 */
export function parseProcStat(text: string): ProcessRef | undefined {
  const close = text.lastIndexOf(")");
  const pid = Number.parseInt(text, 10);
  if (close < 0 || !Number.isSafeInteger(pid)) return undefined;
  // After ")": state(3) ppid(4) … starttime(22) → index 0 is field 3.
  const fields = text.slice(close + 2).split(" ");
  const ppid = Number(fields[1]);
  const startTime = fields[19];
  if (!Number.isSafeInteger(ppid) || startTime === undefined) return undefined;
  return { pid, ppid, startTime };
}

/** The process `pid` now (one read of its stat file), or undefined when it is gone. */
export async function processRef(pid: number): Promise<ProcessRef | undefined> {
  return readStat(pid);
}

async function readStat(pid: number): Promise<ProcessRef | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined; // gone, or not ours to read
  }
}

function readStatSync(pid: number): ProcessRef | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined; // gone, or not ours to read
  }
}

/** `rootPid` and all its live descendants (one scan of /proc). */
export async function processTree(rootPid: number): Promise<ProcessRef[]> {
  const entries = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const all = (await Promise.all(entries.map((name) => readStat(Number(name))))).filter((p): p is ProcessRef => p !== undefined);
  return descendants(rootPid, all);
}

/**
 * {@link processTree} for a caller that looks again and again (a run watched every 500 ms): the
 * first look reads every /proc/<pid>/stat, later ones only the pids that are new since the last
 * look, plus the tree's own members (re-read, so a recycled pid is never taken for ours). A pid
 * recycled between two looks would need the whole pid space to wrap in that time. Reading every
 * stat file (~300 here) twice a second was most of the worker's CPU during a run.
 */
export function processTreeWatcher(rootPid: number): () => Promise<ProcessRef[]> {
  const known = new Map<number, ProcessRef | undefined>();
  let tree: ProcessRef[] = [];
  return async () => {
    const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name)).map(Number);
    const members = new Set(tree.map((p) => p.pid));
    const live = new Set(pids);
    for (const pid of known.keys()) if (!live.has(pid)) known.delete(pid);
    // Synchronous reads: /proc/<pid>/stat is answered from kernel memory (it never waits on storage),
    // and on a busy host dozens of new pids a tick as promises cost ~10× the reads themselves.
    for (const pid of pids) if (!known.has(pid) || members.has(pid)) known.set(pid, readStatSync(pid));
    tree = descendants(
      rootPid,
      [...known.values()].filter((p): p is ProcessRef => p !== undefined),
    );
    return tree;
  };
}

/** `rootPid` and its descendants among `all`. Pure. */
export function descendants(rootPid: number, all: readonly ProcessRef[]): ProcessRef[] {
  const tree: ProcessRef[] = [];
  const wanted = new Set([rootPid]);
  // Children can have lower pids than their parents after pid wrap-around: iterate to a fixpoint.
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (!tree.includes(p) && (p.pid === rootPid || wanted.has(p.ppid))) {
        tree.push(p);
        wanted.add(p.pid);
        grew = true;
      }
    }
  }
  return tree;
}

/** Socket inodes (`socket:[123]` → "123") among a process's open file descriptors. */
export async function socketInodes(pid: number): Promise<string[]> {
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => "")));
  return links.flatMap((link) => /^socket:\[(\d+)\]$/.exec(link)?.[1] ?? []);
}

/**
 * True while the very process `ref` exists and has not exited: a zombie (Z) or dead (X) one
 * only waits to be reaped and can no longer do anything (its parent may never reap it, e.g.
 * when it was reparented to an init that does not).
 */
export async function isRunning(ref: Pick<ProcessRef, "pid" | "startTime">): Promise<boolean> {
  const stateOf = (text: string) => text.slice(text.lastIndexOf(")") + 2, text.lastIndexOf(")") + 3);
  try {
    const text = await readFile(`/proc/${ref.pid}/stat`, "utf8");
    if (parseProcStat(text)?.startTime !== ref.startTime) return false;
    if (stateOf(text) !== "Z" && stateOf(text) !== "X") return true;
    // A leader that exited while another thread is stuck in I/O shows Z: ask every thread.
    const tasks = await readdir(`/proc/${ref.pid}/task`);
    const states = await Promise.all(
      tasks.map((t) => readFile(`/proc/${ref.pid}/task/${t}/stat`, "utf8").then(stateOf, () => "X")),
    );
    return states.some((st) => st !== "Z" && st !== "X");
  } catch {
    return false;
  }
}

/** True while the very process `ref` (same pid, same start time) exists. */
export async function isAlive(ref: ProcessRef): Promise<boolean> {
  return (await readStat(ref.pid))?.startTime === ref.startTime;
}

/**
 * Waits up to `graceMs` for the processes to exit on their own, then SIGKILLs the survivors.
 * Used for qemu after virt-sparsify died: libguestfs' recovery process normally stops it within
 * ~2.6 s (docs/virt-sparsify.md §5), and until it does, qemu still holds the image lock.
 * @returns the pids that had to be killed.
 */
export async function reapProcesses(refs: readonly ProcessRef[], graceMs: number): Promise<number[]> {
  const deadline = Date.now() + graceMs;
  let alive = refs;
  while (true) {
    alive = (await Promise.all(alive.map(async (r) => ((await isAlive(r)) ? r : undefined)))).filter(
      (r): r is ProcessRef => r !== undefined,
    );
    if (alive.length === 0 || Date.now() >= deadline) break;
    await sleep(100);
  }
  for (const r of alive) {
    try {
      process.kill(r.pid, "SIGKILL");
    } catch {
      // exited between the check and the kill
    }
  }
  return alive.map((r) => r.pid);
}

/**
 * The processes among `refs` that still exist `waitMs` after the call (checked every 100 ms): a
 * SIGKILLed process in uninterruptible sleep (I/O on hung storage) outlives its kill.
 */
export async function stillAlive(refs: readonly ProcessRef[], waitMs: number): Promise<ProcessRef[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const alive = (await Promise.all(refs.map(async (r) => ((await isRunning(r)) ? r : undefined)))).filter(
      (r): r is ProcessRef => r !== undefined,
    );
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await sleep(100);
  }
}
