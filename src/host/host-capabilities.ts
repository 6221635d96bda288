import { access, constants, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { childEnv } from "./child-env.js";
import { dieWithService, OWN_SESSION } from "./own-session.js";
import { toolCommand } from "./tools.js";

/** What this host can do, found without booting the appliance (a few ms). */
export interface HostCapabilities {
  /** e.g. "1.48.2"; null when virt-sparsify is not installed. */
  virtSparsifyVersion: string | null;
  /** e.g. "7.2.22"; null when qemu-img is not installed. */
  qemuImgVersion: string | null;
  /** The accelerator the appliance will get. */
  accel: "KVM" | "TCG";
  /**
   * /dev/kvm is usable *and* the CPU advertises vmx/svm. A /dev/kvm without those flags (PVM
   * nested virtualisation) makes qemu abort with "failed to set MSR 0x10a" (docs/virt-sparsify.md §2).
   */
  kvmUsable: boolean;
  /** The supermin appliance is already built, so the first run does not pay ~5 s to build it. */
  applianceReady: boolean;
}

/** `virt-sparsify 1.48.2` → `1.48.2`. Pure. */
export const parseVirtSparsifyVersion = (text: string): string | null => /^virt-sparsify\s+(\S+)/m.exec(text)?.[1] ?? null;

/** `qemu-img version 7.2.22 (Debian …)` → `7.2.22`. Pure. */
export const parseQemuImgVersion = (text: string): string | null => /^qemu-img version\s+(\S+)/m.exec(text)?.[1] ?? null;

/** True when any `flags` line of /proc/cpuinfo lists vmx (Intel) or svm (AMD). Pure. */
export const cpuHasVirtualization = (cpuinfo: string): boolean => /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo);

/** The appliance libguestfs builds under `<cacheDir>/.guestfs-<uid>/appliance.d`. */
export const applianceDir = (cacheDir: string, uid: number): string => join(cacheDir, `.guestfs-${uid}`, "appliance.d");

async function versionOf(file: string, parse: (text: string) => string | null): Promise<string | null> {
  const result = await execa(...dieWithService(file, ["--version"]), {
    ...OWN_SESSION,
    reject: false,
    stdin: "ignore",
    timeout: 10_000,
    extendEnv: false,
    env: childEnv({ LC_ALL: "C" }),
  });
  return result.exitCode === 0 ? parse(result.stdout) : null;
}

async function exists(path: string, mode = constants.F_OK): Promise<boolean> {
  return access(path, mode).then(
    () => true,
    () => false,
  );
}

/** Options for {@link detectCapabilities}. */
export interface DetectOptions {
  /** Same value as the runner's `cacheDir`. @default "/var/tmp" */
  cacheDir?: string;
}

/** Probes versions, KVM usability and the appliance cache. Never boots the appliance. */
export async function detectCapabilities(opts: DetectOptions = {}): Promise<HostCapabilities> {
  const uid = process.geteuid?.() ?? 0;
  const appliance = applianceDir(opts.cacheDir ?? "/var/tmp", uid);
  const [virtSparsifyVersion, qemuImgVersion, devKvm, cpuinfo, kernel, initrd, root] = await Promise.all([
    versionOf(toolCommand("virt-sparsify"), parseVirtSparsifyVersion),
    versionOf(toolCommand("qemu-img"), parseQemuImgVersion),
    exists("/dev/kvm", constants.R_OK | constants.W_OK),
    readFile("/proc/cpuinfo", "utf8").catch(() => ""),
    ...["kernel", "initrd", "root"].map((f) =>
      stat(join(appliance, f)).then(
        (s) => s.size > 0,
        () => false,
      ),
    ),
  ]);
  const kvmUsable = devKvm && cpuHasVirtualization(cpuinfo);
  return {
    virtSparsifyVersion,
    qemuImgVersion,
    accel: kvmUsable ? "KVM" : "TCG",
    kvmUsable,
    applianceReady: kernel && initrd && root,
  };
}

/** LIBGUESTFS_BACKEND_SETTINGS for the runner: `force_tcg` unless KVM really works. */
export const defaultBackendSettings = (caps: Pick<HostCapabilities, "kvmUsable">): string | undefined =>
  caps.kvmUsable ? undefined : "force_tcg";
