import { readFile } from "node:fs/promises";

const TICK_S = 0.01; // USER_HZ is 100 on Linux

/** CPU seconds so far: the whole machine (busy, and stolen by the hypervisor) and this process tree. */
export interface CpuSnapshot {
  machineBusy: number;
  steal: number;
  /** This process and its reaped children. */
  ours: number;
  /** Reaped children only (virt-sparsify with its qemu, qemu-img): CPU time barely moves with contention, wall time does. */
  children: number;
}

/**
 * Reads /proc/stat and /proc/self/stat. `ours` counts this process and the children it waited
 * for (cutime/cstime), so virt-sparsify and its qemu are in it once the run has been reaped.
 */
export async function cpuSnapshot(): Promise<CpuSnapshot> {
  const [stat, self] = await Promise.all([readFile("/proc/stat", "utf8"), readFile("/proc/self/stat", "utf8")]);
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  const [user, nice, system, , , irq, softirq, steal] = stat.split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number) as number[];
  // Fields after "(comm) ": state is #3, utime #14 … cstime #17.
  const f = self
    .slice(self.lastIndexOf(")") + 2)
    .split(" ")
    .map(Number);
  const children = f[13]! + f[14]!;
  return {
    machineBusy: (user! + nice! + system! + irq! + softirq!) * TICK_S,
    steal: steal! * TICK_S,
    ours: (f[11]! + f[12]! + children) * TICK_S,
    children: children * TICK_S,
  };
}

/** Between two snapshots: CPU seconds of the rest of the machine, hypervisor steal, our reaped children and this process alone. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): { others: number; steal: number; childCpu: number; selfCpu: number } {
  const childCpu = b.children - a.children;
  return {
    others: Math.max(0, b.machineBusy - a.machineBusy - (b.ours - a.ours)),
    steal: b.steal - a.steal,
    childCpu,
    selfCpu: b.ours - a.ours - childCpu,
  };
}

/** CPU seconds the rest of the machine used between two snapshots, and what the hypervisor stole. */
export function othersBetween(a: CpuSnapshot, b: CpuSnapshot): { others: number; steal: number } {
  const { others, steal } = cpuBetween(a, b);
  return { others, steal };
}
