import { readdir, readFile, readlink, realpath } from "node:fs/promises";

/** A process that has an image open. */
export interface ImageHolder {
  pid: number;
  /** Its command name as the kernel keeps it (/proc/<pid>/comm: at most 15 characters). */
  comm: string;
}

/**
 * The qemu tools that open an image for a moment: an estimate (another worker process's, on this
 * host) or a scan reading it. Anything else holding an image (qemu-system: a VM or an appliance)
 * is a user of it. comm is cut at 15 characters: "qemu-storage-daemon" is "qemu-storage-da".
 */
const BRIEF_READERS = new Set(["qemu-img", "qemu-io", "qemu-nbd", "qemu-storage-da"]);

/**
 * Whether `holders` are only brief readers, so that qemu's lock on the image is worth waiting
 * for: none left (it was let go since), or every one a qemu tool that lets go within seconds. Pure.
 */
export function onlyBriefReaders(holders: readonly ImageHolder[]): boolean {
  return holders.every((h) => BRIEF_READERS.has(h.comm));
}

/**
 * The processes of this host that have `path` open (its real path), from /proc/<pid>/fd. A worker
 * runs as root, which sees every process's descriptors; a process it may not look into, or one
 * that ends meanwhile, is skipped. Used only after qemu has refused the image's lock (rare), as
 * it reads every process's descriptor table.
 */
export async function imageHolders(path: string): Promise<ImageHolder[]> {
  const target = await realpath(path).catch(() => path);
  const holders: ImageHolder[] = [];
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  await Promise.all(
    pids.map(async (pid) => {
      const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
      for (const fd of fds) {
        if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "")) !== target) continue;
        const comm = (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim();
        holders.push({ pid: Number(pid), comm });
        return;
      }
    }),
  );
  return holders.sort((a, b) => a.pid - b.pid);
}
