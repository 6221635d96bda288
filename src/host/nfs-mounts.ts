import fs from "node:fs/promises";
import { isInside } from "../domain/storage-path.js";

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  options: string[];
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));

/** Parses /proc/mounts (octal escapes in paths, as the kernel writes them). */
export function parseMounts(text: string): MountEntry[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" "))
    .filter((f) => f.length >= 4)
    .map(([, mountPoint, fsType, options]) => ({
      mountPoint: unescape(mountPoint!),
      fsType: fsType!,
      options: options!.split(","),
    }));
}

/** The NFS version of the mount holding `dir` ("4.2", "3"), or null when it is not on NFS. */
export function nfsVersionFor(dir: string, mounts: MountEntry[]): string | null {
  // Deepest mount point wins; on the same point the later mount hides the earlier one.
  const holder = mounts
    .map((m, order) => ({ m, order }))
    .filter(({ m }) => isInside(dir, m.mountPoint))
    .sort((a, b) => b.m.mountPoint.length - a.m.mountPoint.length || b.order - a.order)[0]?.m;
  if (!holder || !holder.fsType.startsWith("nfs")) return null;
  const vers = holder.options.find((o) => o.startsWith("vers=") || o.startsWith("nfsvers="));
  if (vers) return vers.split("=")[1]!;
  return holder.fsType === "nfs4" ? "4" : "3";
}

export async function readNfsVersion(dir: string): Promise<string | null> {
  const text = await fs.readFile("/proc/mounts", "utf8").catch(() => "");
  return nfsVersionFor(dir, parseMounts(text));
}
