import fs from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";

/** A file on a FUSE mount whose server can be frozen: every stat, open or read of it then hangs. */
export interface StuckFuse {
  mountpoint: string;
  /** SIGSTOP the server: the mount stops answering (like a hung NFS server). */
  pause(): void;
  /** Aborts the FUSE connection, unmounts lazily and kills the server. Never hangs. */
  release(): Promise<void>;
}

/** major:minor of the mount at `mountpoint`, read from mountinfo (a stat would hang). */
async function mountDevice(mountpoint: string): Promise<string | undefined> {
  const text = await fs.readFile("/proc/self/mountinfo", "utf8");
  return text
    .split("\n")
    .map((l) => l.split(" "))
    .find((cols) => cols[4] === mountpoint)?.[2];
}

/** Exports `backing` (a raw file) read-only at `mountpoint` (a regular file) with qemu-storage-daemon. */
export async function exportStuckFuse(backing: string, mountpoint: string): Promise<StuckFuse> {
  await fs.writeFile(mountpoint, "");
  const daemon: ResultPromise = execa(
    "qemu-storage-daemon",
    [
      "--blockdev",
      JSON.stringify({ driver: "file", "node-name": "f", filename: backing, "read-only": true }),
      "--export",
      JSON.stringify({ type: "fuse", id: "e", "node-name": "f", mountpoint, writable: false }),
    ],
    { reject: false, stdin: "ignore", stdout: "ignore", stderr: "ignore" },
  );
  for (let i = 0; !(await mountDevice(mountpoint)); i++) {
    if (i > 500) throw new Error(`qemu-storage-daemon did not mount ${mountpoint}`);
    await sleep(10);
  }
  return {
    mountpoint,
    pause: () => void daemon.kill("SIGSTOP"),
    async release() {
      const device = await mountDevice(mountpoint);
      const minor = device?.split(":")[1];
      if (minor) await fs.writeFile(`/sys/fs/fuse/connections/${minor}/abort`, "1").catch(() => undefined);
      await execa("fusermount3", ["-u", "-z", mountpoint], { reject: false, timeout: 10_000 });
      daemon.kill("SIGKILL");
      daemon.kill("SIGCONT");
      await daemon;
    },
  };
}
