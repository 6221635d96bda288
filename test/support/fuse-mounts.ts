import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
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

async function fuseDaemonPid(mountpoint: string, argv: string[]): Promise<number> {
  const { stdout } = await execa("pgrep", ["-x", "-f", `bindfs ${argv.join(" ")}`], { reject: false });
  const pid = Number(stdout.trim().split("\n")[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`no bindfs daemon found for ${mountpoint}`);
  return pid;
}

/** Mounts `source` on `mountpoint` with bindfs (one daemon process; one request at a time unless `multithreaded`). */
export async function mountPausable(
  source: string,
  mountpoint: string,
  opts: { multithreaded?: boolean } = {},
): Promise<PausableMount> {
  // fusectl: lets a test abort a connection whose daemon is stuck (no-op when already mounted).
  const mounts = parseMounts(await readFile("/proc/mounts", "utf8"));
  if (!mounts.some((m) => m.mountPoint === "/sys/fs/fuse/connections"))
    await execa("mount", ["-t", "fusectl", "none", "/sys/fs/fuse/connections"], { reject: false });
  // bindfs serves one request at a time unless told otherwise: a request stuck on a paused server
  // below then holds every later caller in the kernel's queue, where SIGKILL still ends it.
  const argv = [...(opts.multithreaded ? ["--multithreaded"] : []), source, mountpoint];
  await execa("bindfs", argv);
  const pid = await fuseDaemonPid(mountpoint, argv);
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

/**
 * A domain directory `<parent>/<name>` served by a pausable mount of `<parent>/<name>-real`, which
 * holds one small file, a.raw.
 */
export async function pausableDomain(parent: string, name: string): Promise<{ domain: string; mount: PausableMount }> {
  const [real, domain] = [join(parent, `${name}-real`), join(parent, name)];
  await mkdir(real);
  await mkdir(domain);
  await writeFile(join(real, "a.raw"), "x");
  return { domain, mount: await mountPausable(real, domain) };
}
