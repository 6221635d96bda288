import { readFile, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { parseMounts } from "../../src/host/nfs-mounts.js";

/**
 * A bindfs (FUSE passthrough) mount whose daemon a test can pause to simulate a hung storage
 * server, and always tear down: resume, abort the FUSE connection, lazy unmount.
 */
export interface PausableMount {
  mountpoint: string;
  /** The daemon's pid. */
  pid: number;
  /** /sys/fs/fuse/connections/<n>: the mount's device number, taken while it answered. */
  connection: string;
  pause(): void;
  resume(): void;
  /** Never throws; safe on a paused or already removed mount. */
  teardown(): Promise<void>;
}

async function fuseDaemonPid(mountpoint: string, source: string): Promise<number> {
  const { stdout } = await execa("pgrep", ["-x", "-f", `bindfs ${source} ${mountpoint}`], { reject: false });
  const pid = Number(stdout.trim().split("\n")[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`no bindfs daemon found for ${mountpoint}`);
  return pid;
}

/** Mounts `source` on `mountpoint` with bindfs (single daemon process, multi-threaded). */
export async function mountPausable(source: string, mountpoint: string): Promise<PausableMount> {
  // fusectl: lets a test abort a connection whose daemon is stuck (no-op when already mounted).
  const mounts = parseMounts(await readFile("/proc/mounts", "utf8"));
  if (!mounts.some((m) => m.mountPoint === "/sys/fs/fuse/connections"))
    await execa("mount", ["-t", "fusectl", "none", "/sys/fs/fuse/connections"], { reject: false });
  await execa("bindfs", [source, mountpoint]);
  const pid = await fuseDaemonPid(mountpoint, source);
  const { stdout: dev } = await execa("stat", ["-c", "%d", "--", mountpoint]);
  const connection = `/sys/fs/fuse/connections/${dev.trim()}`;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  return {
    mountpoint,
    pid,
    connection,
    pause: () => signal("SIGSTOP"),
    resume: () => signal("SIGCONT"),
    async teardown() {
      await writeFile(`${connection}/abort`, "1").catch(() => undefined);
      signal("SIGCONT");
      signal("SIGKILL");
      await execa("fusermount3", ["-u", "-z", mountpoint], { reject: false });
    },
  };
}
