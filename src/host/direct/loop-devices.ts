import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

const SYS_BLOCK = "/sys/block";

/** Device and inode of a file, as the loop driver would hold it. */
const identity = async (path: string) => {
  const st = await stat(path).catch(() => null);
  return st ? `${st.dev}:${st.ino}` : null;
};

/**
 * The loop devices (e.g. "loop3") whose backing file is one of `paths` (compared by device and
 * inode, and by path for a backing file whose name the kernel still shows). A loop device
 * writes the image behind qemu's back and ignores its locks: DIRECT never runs then.
 */
export async function loopDevicesOver(paths: readonly string[], sysBlock = SYS_BLOCK): Promise<string[]> {
  const wanted = new Set((await Promise.all(paths.map(identity))).filter((x): x is string => x !== null));
  const names = new Set(paths);
  const found: string[] = [];
  for (const device of (await readdir(sysBlock).catch(() => [] as string[])).filter((d) => d.startsWith("loop"))) {
    const backing = (await readFile(join(sysBlock, device, "loop", "backing_file"), "utf8").catch(() => "")).trim();
    if (!backing) continue;
    const path = backing.replace(/ \(deleted\)$/, "");
    const id = await identity(path);
    if (names.has(path) || (id && wanted.has(id))) found.push(device);
  }
  return found;
}
