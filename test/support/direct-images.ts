/**
 * Images for the DIRECT free-space proof: real filesystems made by mke2fs, mkfs.xfs and mkswap
 * (with files in them, some deleted), partitioned by sfdisk, and a window onto one partition
 * as the run engine shows it to the readers (a read-only qemu-storage-daemon FUSE export).
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import type { DirectFsKind, PartitionView } from "../../src/host/direct/direct-contract.js";
import type { ByteRange } from "../../src/host/estimate/interval-math.js";
import type { Partition } from "../../src/host/estimate/partition-table.js";
import { openRawView } from "../../src/host/estimate/raw-view.js";
import { sandboxPlan } from "../../src/host/estimate/sandbox-plan.js";

const MiB = 1024 * 1024;

/** Files written into every test filesystem: sizes chosen to span many blocks and groups. */
export const TEST_FILES: ReadonlyArray<readonly [name: string, bytes: number]> = [
  ["small.txt", 700],
  ["one.bin", 3 * MiB + 123],
  ["two.bin", 9 * MiB],
  ["three.bin", 17 * MiB + 4097],
];

/** A directory holding {@link TEST_FILES} plus `deleted.bin` (removed from the filesystem after mkfs). */
export async function makeSourceTree(dir: string, deletedMiB = 8): Promise<string> {
  const root = join(dir, `root-${Math.random().toString(36).slice(2)}`);
  await mkdir(root);
  for (const [name, bytes] of TEST_FILES) await writeFile(join(root, name), randomBytes(bytes));
  await writeFile(join(root, "deleted.bin"), randomBytes(deletedMiB * MiB));
  return root;
}

/** Creates an empty sparse file of `bytes`. */
export async function sparseFile(path: string, bytes: number): Promise<string> {
  await writeFile(path, "");
  await truncate(path, bytes);
  return path;
}

/** mke2fs with `args` at `offset` of `image` (size `bytes`), filled from `root`, then `deleted.bin` removed. */
export async function mkExt(image: string, offset: number, bytes: number, root: string, args: readonly string[]): Promise<void> {
  const device = offset ? `${image}?offset=${offset}` : image;
  await execa("mke2fs", ["-q", "-F", ...args, "-E", `offset=${offset}`, "-d", root, image, `${bytes / 1024}k`]);
  await execa("debugfs", ["-w", "-R", "rm /deleted.bin", device], { stderr: "ignore" });
}

/** Every block (in filesystem blocks) the files of {@link TEST_FILES} use, from debugfs. */
export async function extFileBlocks(image: string, offset: number): Promise<number[]> {
  const device = offset ? `${image}?offset=${offset}` : image;
  const blocks: number[] = [];
  for (const [name] of TEST_FILES) {
    const { stdout } = await execa("debugfs", ["-R", `blocks /${name}`, device], { stderr: "ignore" });
    blocks.push(...stdout.trim().split(/\s+/).filter(Boolean).map(Number));
  }
  return blocks;
}

/**
 * mkfs.xfs with `args` in a file of `bytes` holding {@link TEST_FILES} (a prototype file: no mount
 * needed), copied to `offset` of `image`. Returns the filesystem's own file (for xfs_db).
 */
export async function mkXfs(
  image: string,
  offset: number,
  bytes: number,
  root: string,
  args: readonly string[],
): Promise<string> {
  const fsFile = await sparseFile(`${image}.xfs-${offset}`, bytes);
  const lines = ["/dev/null", "0 0", "d--755 0 0", ...TEST_FILES.map(([n]) => `${n} ---644 0 0 ${join(root, n)}`), "$", ""];
  await writeFile(`${fsFile}.proto`, lines.join("\n"));
  await execa("mkfs.xfs", ["-q", "-f", ...args, "-p", `${fsFile}.proto`, fsFile]);
  await copyAt(fsFile, image, offset);
  return fsFile;
}

/** Copies `src` into `image` at byte `offset`, keeping holes. */
export const copyAt = (src: string, image: string, offset: number) =>
  execa("dd", [`if=${src}`, `of=${image}`, "bs=1M", `seek=${offset}`, "oflag=seek_bytes", "conv=notrunc,sparse", "status=none"]);

/** Every block (absolute filesystem block number) the files of {@link TEST_FILES} use, from xfs_db bmap. */
export async function xfsFileBlocks(fsFile: string, agBlocks: number): Promise<number[]> {
  const args = TEST_FILES.flatMap(([n]) => ["-c", `path /${n}`, "-c", "bmap"]);
  const { stdout } = await execa("xfs_db", ["-r", "-f", ...args, fsFile]);
  const blocks: number[] = [];
  for (const m of stdout.matchAll(/startblock \d+ \((\d+)\/(\d+)\) count (\d+)/g)) {
    const first = Number(m[1]) * agBlocks + Number(m[2]);
    for (let i = 0; i < Number(m[3]); i++) blocks.push(first + i);
  }
  return blocks;
}

/** Copies a real mkswap header page to `offset` of `image` for a swap of `bytes`. */
export async function mkSwap(image: string, offset: number, bytes: number): Promise<void> {
  const swap = await sparseFile(`${image}.swap-${offset}`, bytes);
  await execa("mkswap", ["-q", swap]);
  const header = Buffer.alloc(4096);
  const src = await open(swap, "r");
  await src.read(header, 0, 4096, 0).finally(() => src.close());
  const dst = await open(image, "r+");
  await dst.write(header, 0, 4096, offset).finally(() => dst.close());
}

/** Partitions `image` with sfdisk (`script` in its input format), returns them numbered as Linux does. */
export async function partition(image: string, script: string): Promise<Partition[]> {
  await execa("sfdisk", ["-q", image], { input: script });
  const { stdout } = await execa("sfdisk", ["--json", image]);
  type Table = { partitiontable: { partitions: { node: string; start: number; size: number }[] } };
  const parts = (JSON.parse(stdout) as Table).partitiontable.partitions;
  return parts.map((p) => ({ number: Number(/(\d+)$/.exec(p.node)![1]), start: p.start * 512, length: p.size * 512 }));
}

/** A read-only window on one partition of a raw image, plus the whole disk at absolute offsets. */
export async function withPartitionView<T>(
  image: string,
  part: Partition,
  kind: DirectFsKind,
  use: (view: PartitionView) => Promise<T>,
): Promise<T> {
  const plan = await sandboxPlan();
  const signal = new AbortController().signal;
  const parser = plan.isRoot ? { parser: { uid: plan.uid!, gid: plan.gid! } } : {};
  const disk = await openRawView([{ path: image, format: "raw" }], { signal, ...parser });
  try {
    const window = await openRawView([{ path: image, format: "raw" }], {
      signal,
      ...parser,
      window: { offset: part.start, size: part.length },
    });
    try {
      return await use({ partition: part, kind, path: window.path, readDisk: disk.read });
    } finally {
      await window.close();
    }
  } finally {
    await disk.close();
  }
}

/** Which of `blocks` (filesystem blocks of `blockSize` at `fsStart`) fall inside `ranges`. */
export function blocksInside(
  ranges: readonly ByteRange[],
  blocks: readonly number[],
  fsStart: number,
  blockSize: number,
): number[] {
  return blocks.filter((b) => {
    const s = fsStart + b * blockSize;
    return ranges.some((r) => s < r.end && s + blockSize > r.start);
  });
}
