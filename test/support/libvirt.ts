import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";

export const LIBVIRT_URI = "qemu:///system";

export interface TestDisk {
  file: string;
  format: "qcow2" | "raw";
  target: string;
  bus: "virtio" | "scsi";
}

/** virsh against the system libvirt (argv only). */
export async function virsh(...args: string[]) {
  return execa("virsh", ["-q", "-c", LIBVIRT_URI, ...args], { reject: false });
}

/** A unique domain name per test run, so parallel runs and leftovers never collide. */
export const domainName = (what: string) => `spg-test-${what}-${randomBytes(3).toString("hex")}`;

/** A tiny TCG domain: 64 MiB, one vCPU, machine pc, no OS (it sits in firmware and holds its images' locks). */
export function domainXml(name: string, disks: TestDisk[]): string {
  const disk = (d: TestDisk) =>
    `<disk type='file' device='disk'><driver name='qemu' type='${d.format}'/><source ` +
    `file='${d.file}'/><target dev='${d.target}' bus='${d.bus}'/></disk>`;
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><controller type='scsi' model='virtio-scsi'/>${disks.map(disk).join("")}</devices></domain>`;
}

export async function defineDomain(name: string, disks: TestDisk[], dir: string): Promise<void> {
  const file = `${dir}/${name}.xml`;
  fs.writeFileSync(file, domainXml(name, disks));
  const r = await virsh("define", file);
  if (r.exitCode !== 0) throw new Error(`virsh define failed: ${r.stderr}`);
}

/** Destroys and undefines (cleanup; errors ignored). */
export async function removeDomain(name: string): Promise<void> {
  await virsh("destroy", name);
  await virsh("undefine", name);
}

/** The pid of the running libvirtd, or null. */
export function libvirtdPid(): number | null {
  try {
    const pid = Number(fs.readFileSync("/run/libvirtd.pid", "utf8").trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** Starts virtlogd and libvirtd when not running (no systemd here) and waits until virsh answers. */
export async function ensureLibvirtd(): Promise<void> {
  if (!(await execa("pgrep", ["-x", "virtlogd"], { reject: false })).stdout.trim()) await execa("virtlogd", ["-d"]);
  if (libvirtdPid() === null) await execa("libvirtd", ["-d"]);
  for (let i = 0; i < 100; i++) {
    if ((await virsh("version")).exitCode === 0) return;
    await sleep(100);
  }
  throw new Error("libvirtd did not answer after start");
}

/** SIGTERM to libvirtd and wait until it is gone. Running qemu processes survive (libvirt reconnects to them). */
export async function killLibvirtd(): Promise<void> {
  const pid = libvirtdPid();
  if (pid === null) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 100 && libvirtdPid() === pid; i++) await sleep(100);
}
