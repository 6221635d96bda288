import fs from "node:fs/promises";
import { execa, type ResultPromise } from "execa";
import { waitFor } from "./wait-for.js";

/** A process found in /proc: pid, its process group and session, and its command line. */
export interface ProcInfo {
  pid: number;
  pgid: number;
  sid: number;
  cmdline: string[];
}

async function procInfo(pid: number): Promise<ProcInfo | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean);
    return { pid, pgid: Number(fields[2]), sid: Number(fields[3]), cmdline };
  } catch {
    return undefined;
  }
}

/** Live processes whose command line contains every fragment. */
export async function findProcesses(...fragments: string[]): Promise<ProcInfo[]> {
  const pids = (await fs.readdir("/proc")).filter((n) => /^\d+$/.test(n)).map(Number);
  const infos = await Promise.all(pids.map(procInfo));
  return infos.filter((p): p is ProcInfo => !!p && fragments.every((f) => p.cmdline.some((arg) => arg.includes(f))));
}

/** Direct children of `pid`. */
export async function childrenOf(pid: number): Promise<ProcInfo[]> {
  const text = await fs.readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => "");
  const infos = await Promise.all(
    text
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((p) => procInfo(Number(p))),
  );
  return infos.filter((p): p is ProcInfo => !!p);
}

export const isAlive = async (pid: number) =>
  (await procInfo(pid)) !== undefined && !(await fs.readFile(`/proc/${pid}/stat`, "utf8")).includes(") Z ");

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export async function portServed(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** A command run as an operator would from a terminal: in a process group of its own, output collected. */
export interface ServiceProcess {
  proc: ResultPromise;
  output: () => string;
  /** Sends `signal` to the whole process group, like Ctrl-C on a terminal. */
  signalGroup(signal: NodeJS.Signals): void;
}

export function startInOwnGroup(command: string, args: string[], env: Record<string, string>): ServiceProcess {
  let output = "";
  const proc = execa(command, args, { detached: true, reject: false, forceKillAfterDelay: false, env, stdin: "ignore" });
  proc.stdout!.on("data", (d) => (output += d));
  proc.stderr!.on("data", (d) => (output += d));
  return {
    proc,
    output: () => output,
    signalGroup: (signal) => {
      try {
        process.kill(-proc.pid!, signal);
      } catch (error) {
        // The group is gone: say what it printed last, not just ESRCH.
        throw new Error(`${(error as Error).message}: the service had already exited; its output:\n${output.slice(-3000)}`);
      }
    },
  };
}

/** Waits until the service printed its ready line. */
export async function waitReady(service: ServiceProcess, timeout = 90_000): Promise<void> {
  await waitFor(() => /Sparsify gateway ready/.test(service.output()) || service.proc.exitCode !== null, {
    timeout,
    what: "the gateway to be ready",
  });
  if (!/Sparsify gateway ready/.test(service.output()))
    throw new Error(`the service exited before it was ready:\n${service.output().slice(-3000)}`);
}

/** SIGKILLs whatever is left of the group (test cleanup). */
export function killGroup(service: ServiceProcess | undefined): void {
  if (!service?.proc.pid) return;
  try {
    process.kill(-service.proc.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export { execa };
