import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createInterface } from "node:readline";
import { execa } from "execa";
import type { ImageFormat } from "../../src/host/image-format.js";

/** A process holding an image open; `release()` stops it and waits until it is gone. */
export interface ImageHold {
  pid: number;
  release(): Promise<void>;
}

/**
 * qemu's image locks are OFD byte locks: byte 100+n means "I use permission n", 200+n "nobody
 * else may"; n = 1 is write. A lock covering byte 201 is what makes virt-sparsify fail.
 */
export async function unsharesWrite(ino: number): Promise<boolean> {
  const locks = await readFile("/proc/locks", "utf8");
  return locks.split("\n").some((line) => {
    const m = /OFDLCK\s+\S+\s+\S+\s+-?\d+\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s+(\d+)\s+(\d+|EOF)/.exec(line);
    return m !== null && Number(m[1]) === ino && Number(m[2]) <= 201 && (m[3] === "EOF" || Number(m[3]) >= 201);
  });
}

/**
 * Holds an image exactly like a running VM: a paused (`-S`), device-only qemu with the disk
 * on a virtio-blk device. A device takes the write permission *and* refuses to share it,
 * which is what blocks virt-sparsify; qemu-nbd and qemu-storage-daemon exports share writes
 * on raw images, so they only block qcow2. Costs ~40 MB and ~40 ms; no guest code runs.
 * Resolves once /proc/locks shows the lock: the QMP greeting alone was measured to arrive
 * before a raw image's lock about 1 time in 8.
 */
export async function holdImage(path: string, format: ImageFormat): Promise<ImageHold> {
  const vm = execa(
    "qemu-system-x86_64",
    [
      "-M",
      "q35",
      "-accel",
      "tcg",
      "-S",
      "-m",
      "32",
      "-nodefaults",
      "-no-user-config",
      "-display",
      "none",
      "-qmp",
      "stdio",
      "-blockdev",
      JSON.stringify({ driver: "file", "node-name": "f0", filename: resolve(path) }),
      "-blockdev",
      JSON.stringify({ driver: format, "node-name": "d0", file: "f0" }),
      "-device",
      "virtio-blk-pci,drive=d0",
    ],
    { reject: false, stdin: "pipe", stderr: "pipe" },
  );
  const greeting = await new Promise<boolean>((done) => {
    const lines = createInterface({ input: vm.stdout! });
    lines.once("line", (line) => done(line.includes('"QMP"')));
    lines.once("close", () => done(false));
  });
  if (!greeting || vm.pid === undefined) {
    vm.kill("SIGKILL");
    const result = await vm;
    throw new Error(`could not hold ${path}: ${String(result.stderr).trim()}`);
  }
  const { ino } = await stat(path);
  for (let i = 0; !(await unsharesWrite(ino)); i++) {
    if (i > 100) {
      vm.kill("SIGKILL");
      await vm;
      throw new Error(`qemu opened ${path} but never locked it`);
    }
    await sleep(10);
  }
  return {
    pid: vm.pid,
    release: async () => {
      vm.kill("SIGTERM");
      await vm;
    },
  };
}
