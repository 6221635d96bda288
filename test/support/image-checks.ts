import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { parseFreeBlocks } from "../../src/host/estimate/ext-free-ranges.js";
import type { ImageFormat } from "../../src/host/image-format.js";

/** sha256 of a file, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function isMounted(mountpoint: string): Promise<boolean> {
  const mounts = await readFile("/proc/mounts", "utf8");
  return mounts.split("\n").some((line) => line.split(" ")[1] === mountpoint);
}

/**
 * Runs `fn` with a path that reads as the raw guest disk. For qcow2 that is a read-only FUSE
 * export by qemu-storage-daemon (docs/virt-sparsify.md §6): no conversion, ~0.05 s, and e2fsprogs can read it.
 */
export async function withRawView<T>(path: string, format: ImageFormat, fn: (raw: string) => Promise<T>): Promise<T> {
  if (format === "raw") return fn(resolve(path));
  const dir = await mkdtemp(join(dirname(resolve(path)), ".view-"));
  const mountpoint = join(dir, "disk.raw");
  await writeFile(mountpoint, "");
  const daemon = execa(
    "qemu-storage-daemon",
    [
      "--blockdev",
      JSON.stringify({ driver: "file", "node-name": "f0", filename: resolve(path), "read-only": true }),
      "--blockdev",
      JSON.stringify({ driver: "qcow2", "node-name": "d0", file: "f0", "read-only": true }),
      "--export",
      JSON.stringify({ type: "fuse", id: "e0", "node-name": "d0", mountpoint, writable: false }),
    ],
    { reject: false, stdin: "ignore" },
  );
  try {
    for (let i = 0; !(await isMounted(mountpoint)); i++) {
      if (i > 100 || daemon.exitCode !== null) throw new Error(`FUSE export of ${path} did not appear`);
      await sleep(20);
    }
    return await fn(mountpoint);
  } finally {
    daemon.kill("SIGTERM");
    const result = await daemon;
    await rm(dir, { recursive: true, force: true });
    if (result.exitCode !== 0 && result.signal === undefined && result.stderr) {
      console.warn(`qemu-storage-daemon: ${result.stderr}`);
    }
  }
}

/** e2fsprogs' io-manager syntax for a filesystem at a byte offset inside a file. */
const device = (raw: string, offset: number) => (offset ? `${raw}?offset=${offset}` : raw);

/** `e2fsck -fn` on the filesystem at `offset`: true when it reports no problems (rc 0). */
export async function e2fsckClean(path: string, format: ImageFormat, offset = 0): Promise<boolean> {
  return withRawView(path, format, async (raw) => {
    const { exitCode } = await execa("e2fsck", ["-fn", device(raw, offset)], { reject: false, stdin: "ignore" });
    return exitCode === 0;
  });
}

/** Reads one file out of the ext4 filesystem with `debugfs dump` (no mount). */
export async function readFileFromImage(path: string, format: ImageFormat, fileInFs: string, offset = 0): Promise<Buffer> {
  const tmp = await mkdtemp(join(dirname(resolve(path)), ".dump-"));
  try {
    const out = join(tmp, "out");
    await withRawView(path, format, (raw) =>
      execa("debugfs", ["-R", `dump ${fileInFs} ${out}`, device(raw, offset)], { stdin: "ignore" }),
    );
    return await readFile(out);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** sha256 of a file inside the image's filesystem. */
export async function sha256InImage(path: string, format: ImageFormat, fileInFs: string, offset = 0) {
  const data = await readFileFromImage(path, format, fileInFs, offset);
  return createHash("sha256").update(data).digest("hex");
}

/** Free-block ranges `[first, last]` (inclusive, in blocks) from `dumpe2fs` output, merged. Pure. */
export { parseFreeBlocks } from "../../src/host/estimate/ext-free-ranges.js";

/** The largest run of free bytes in the filesystem at `offset`, as a disk byte range. */
export async function largestFreeExtent(path: string, format: ImageFormat, offset = 0) {
  const text = await withRawView(
    path,
    format,
    async (raw) => (await execa("dumpe2fs", [device(raw, offset)], { stdin: "ignore", stderr: "ignore" })).stdout,
  );
  const { blockSize, ranges } = parseFreeBlocks(text);
  const [first, last] = ranges.reduce((best, r) => (r[1] - r[0] > best[1] - best[0] ? r : best));
  return { start: offset + first * blockSize, length: (last - first + 1) * blockSize };
}
