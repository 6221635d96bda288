/**
 * Disk layouts the estimator tests need beyond images.ts: GPT with ext4, XFS and swap full of garbage,
 * MBR with ext4 + a partition nobody can read, and disks that only *look* encrypted or LVM.
 * Host tools only (sfdisk, mke2fs, debugfs, mkfs.xfs, xfs_db, mkswap, qemu-img), ~1–2 s each.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, open, rm, truncate, writeFile, mkdir, rename } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { execa } from "execa";
import { parseFreeBlocks } from "../../src/host/estimate/ext-free-ranges.js";
import { parseXfsFreeExtents, XFS_DB_COMMANDS, xfsFreeByteRanges } from "../../src/host/estimate/xfs-free-ranges.js";
import type { ImageFormat } from "../../src/host/image-format.js";

const MiB = 1024 * 1024;

/** Writes `mib` MiB of non-zero bytes (one random MiB repeated) at `offset` of an existing file. */
async function writeGarbageAt(path: string, offset: number, mib: number): Promise<void> {
  const block = randomBytes(MiB);
  const file = await open(path, "r+");
  try {
    for (let i = 0; i < mib; i++) await file.write(block, 0, MiB, offset + i * MiB);
  } finally {
    await file.close();
  }
}

async function finish(raw: string, out: string, format: ImageFormat): Promise<void> {
  await rm(out, { force: true });
  if (format === "raw") await rename(raw, out);
  else await execa("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, out]);
}

/** A partition as a byte range. */
export interface Part {
  start: number;
  length: number;
}

/**
 * Writes `mib` MiB of garbage into the largest free extents of the XFS filesystem in `file`
 * (found by xfs_db), MiB-aligned and 1 MiB clear of their ends: data a guest wrote and deleted.
 */
async function fillXfsFreeSpace(file: string, mib: number): Promise<void> {
  const { stdout } = await execa("xfs_db", ["-r", "-f", ...XFS_DB_COMMANDS, file]);
  const free = parseXfsFreeExtents(stdout);
  const runs = xfsFreeByteRanges(free, 0, Number.MAX_SAFE_INTEGER).sort((a, b) => b.end - b.start - (a.end - a.start));
  let left = mib;
  for (const r of runs) {
    const start = Math.ceil((r.start + MiB) / MiB) * MiB;
    const n = Math.min(left, Math.floor((r.end - MiB - start) / MiB));
    if (n <= 0) continue;
    await writeGarbageAt(file, start, n);
    left -= n;
    if (left === 0) return;
  }
  throw new Error(`no room for ${mib} MiB of garbage in ${file}`);
}

/** Copies `src` into `disk` at `offset`, leaving all-zero MiBs as holes. */
const copyInto = (src: string, disk: string, offset: number) =>
  execa("dd", [`if=${src}`, `of=${disk}`, "bs=1M", `seek=${offset / MiB}`, "conv=notrunc,sparse", "status=none"]);

/** Partition layout of {@link makeGptImage}. */
export interface GptImage {
  path: string;
  ext4: Part;
  xfs: Part;
  swap: Part;
}

/**
 * 1.25 GiB GPT disk (`sfdisk label: gpt`): p1 ext4 600 MiB with `ext4DeletedMiB` deleted, p2 XFS
 * 400 MiB (mkfs.xfs) with `xfsGarbageMiB` in free extents, p3 Linux swap (the rest, ~278 MiB)
 * whose header comes from a real `mkswap` and whose pages hold `swapGarbageMiB` of non-zero
 * bytes, as a guest that swapped would leave them.
 */
export async function makeGptImage(
  path: string,
  opts: { format: ImageFormat; ext4DeletedMiB?: number; xfsGarbageMiB?: number; swapGarbageMiB?: number },
): Promise<GptImage> {
  const { format, ext4DeletedMiB = 100, xfsGarbageMiB = 100, swapGarbageMiB = 150 } = opts;
  const out = resolve(path);
  const work = await mkdtemp(join(dirname(out), ".mkgpt-"));
  try {
    const root = join(work, "root");
    await mkdir(root);
    await writeFile(join(root, "keep.bin"), randomBytes(MiB));
    if (ext4DeletedMiB > 0) {
      await writeFile(join(root, "big.bin"), "");
      await writeGarbageAt(join(root, "big.bin"), 0, ext4DeletedMiB);
    }
    const raw = join(work, "disk.raw");
    await writeFile(raw, "");
    await truncate(raw, 1280 * MiB);
    const linux = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
    await execa("sfdisk", ["-q", raw], {
      input:
        `label: gpt\nstart=2048, size=600MiB, type=${linux}\nsize=400MiB, type=${linux}\nsize=+, ` +
        `type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F\n`,
    });
    const { stdout } = await execa("sfdisk", ["--json", raw]);
    const [ext4, xfs, swap] = (
      JSON.parse(stdout) as { partitiontable: { partitions: { start: number; size: number }[] } }
    ).partitiontable.partitions.map((p) => ({ start: p.start * 512, length: p.size * 512 })) as [Part, Part, Part];
    await execa("mke2fs", [
      "-q",
      "-F",
      "-t",
      "ext4",
      "-b",
      "4096",
      "-E",
      `offset=${ext4.start}`,
      "-d",
      root,
      raw,
      `${ext4.length / MiB}M`,
    ]);
    if (ext4DeletedMiB > 0)
      await execa("debugfs", ["-w", "-R", "rm /big.bin", `${raw}?offset=${ext4.start}`], { stderr: "ignore" });
    // mkfs.xfs has no offset option: make it in a file of the partition's size, then copy it in.
    const xfsFile = join(work, "xfs.img");
    await writeFile(xfsFile, "");
    await truncate(xfsFile, xfs.length);
    await execa("mkfs.xfs", ["-q", "-f", xfsFile]);
    if (xfsGarbageMiB > 0) await fillXfsFreeSpace(xfsFile, xfsGarbageMiB);
    await copyInto(xfsFile, raw, xfs.start);
    // mkswap on a file of the partition's size, then its header page into the partition.
    const swapFile = join(work, "swap.img");
    await writeFile(swapFile, "");
    await truncate(swapFile, swap.length);
    await execa("mkswap", ["-q", swapFile]);
    const header = Buffer.alloc(4096);
    const src = await open(swapFile, "r");
    await src.read(header, 0, 4096, 0).finally(() => src.close());
    const dst = await open(raw, "r+");
    await dst.write(header, 0, 4096, swap.start).finally(() => dst.close());
    if (swapGarbageMiB > 0) await writeGarbageAt(raw, swap.start + MiB, swapGarbageMiB);
    await finish(raw, out, format);
    return { path: out, ext4, xfs, swap };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A whole-disk XFS (no partition table) of `sizeMiB` with `garbageMiB` in its free extents. */
export async function makeXfsImage(
  path: string,
  opts: { format: ImageFormat; sizeMiB?: number; garbageMiB?: number },
): Promise<string> {
  const { format, sizeMiB = 512, garbageMiB = 100 } = opts;
  const out = resolve(path);
  const work = await mkdtemp(join(dirname(out), ".mkxfs-"));
  try {
    const raw = join(work, "disk.raw");
    await writeFile(raw, "");
    await truncate(raw, sizeMiB * MiB);
    await execa("mkfs.xfs", ["-q", "-f", raw]);
    if (garbageMiB > 0) await fillXfsFreeSpace(raw, garbageMiB);
    await finish(raw, out, format);
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * 256 MiB MBR disk: p1 ext4 (128 MiB, `deletedMiB` deleted) and p2 filled with random bytes,
 * with a fake signature (`LUKS`, `LVM2`) at its start, or with a real ext4 superblock over the
 * random bytes (`broken-ext4`: recognised as ext4, but dumpe2fs fails on its group descriptors).
 */
export async function makeMbrExt4PlusImage(
  path: string,
  opts: { format: ImageFormat; second: "random" | "luks" | "lvm" | "broken-ext4"; deletedMiB?: number; ext4?: boolean },
): Promise<{ path: string; p1: number; p2: number }> {
  const { format, second, deletedMiB = 40, ext4 = true } = opts;
  const out = resolve(path);
  const work = await mkdtemp(join(dirname(out), ".mkmbr-"));
  try {
    const raw = join(work, "disk.raw");
    await writeFile(raw, "");
    await truncate(raw, 256 * MiB);
    await execa("sfdisk", ["-q", raw], { input: "start=2048, size=128MiB, type=83\nsize=+, type=8e\n" });
    const p1 = MiB;
    const p2 = MiB + 128 * MiB;
    if (ext4) {
      const root = join(work, "root");
      await mkdir(root);
      await writeFile(join(root, "keep.bin"), randomBytes(MiB));
      if (deletedMiB > 0) {
        await writeFile(join(root, "big.bin"), "");
        await writeGarbageAt(join(root, "big.bin"), 0, deletedMiB);
      }
      await execa("mke2fs", ["-q", "-F", "-t", "ext4", "-b", "4096", "-E", `offset=${p1}`, "-d", root, raw, "128M"]);
      if (deletedMiB > 0) await execa("debugfs", ["-w", "-R", "rm /big.bin", `${raw}?offset=${p1}`], { stderr: "ignore" });
    }
    await writeGarbageAt(raw, p2, 8);
    const fd = await open(raw, "r+");
    try {
      if (second === "broken-ext4") {
        const sb = join(work, "sb.img");
        await writeFile(sb, "");
        await truncate(sb, 64 * MiB);
        await execa("mke2fs", ["-q", "-F", "-t", "ext4", "-b", "4096", sb]);
        const head = Buffer.alloc(4096);
        const src = await open(sb, "r");
        await src.read(head, 0, 4096, 0).finally(() => src.close());
        await fd.write(head, 0, 4096, p2);
      }
      if (second === "luks") await fd.write(Buffer.from("LUKS\xba\xbe\x00\x02", "latin1"), 0, 8, p2);
      if (second === "lvm") {
        const label = Buffer.alloc(512);
        label.write("LABELONE", 0, "latin1");
        label.write("LVM2 001", 24, "latin1");
        await fd.write(Buffer.alloc(512), 0, 512, p2);
        await fd.write(label, 0, 512, p2 + 512);
      }
    } finally {
      await fd.close();
    }
    await finish(raw, out, format);
    return { path: out, p1, p2 };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * A large ext4 qcow2 with `garbageMiB` of non-zero bytes in blocks the filesystem marks free
 * (docs/virt-sparsify.md §3 recipe 2, scaled: what §4's 16 GiB / 4 GiB image is). Built sparse: mke2fs on a
 * sparse file, `qemu-img convert` (only metadata is copied), then `qemu-io write -P` into free
 * runs found by dumpe2fs, MiB-aligned and 1 MiB clear of their ends. ~5 s for 4 GiB.
 */
export async function makeGarbageQcow2(path: string, opts: { sizeGiB: number; garbageMiB: number }): Promise<string> {
  const out = resolve(path);
  const work = await mkdtemp(join(dirname(out), ".mkbig-"));
  try {
    const root = join(work, "root");
    await mkdir(root);
    await writeFile(join(root, "keep.bin"), randomBytes(MiB));
    const raw = join(work, "disk.raw");
    await writeFile(raw, "");
    await truncate(raw, opts.sizeGiB * 1024 * MiB);
    await execa("mke2fs", ["-q", "-F", "-t", "ext4", "-b", "4096", "-d", root, raw]);
    const { stdout } = await execa("dumpe2fs", [raw], { stderr: "ignore" });
    await rm(out, { force: true });
    await execa("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, out]);
    const { blockSize, ranges } = parseFreeBlocks(stdout);
    const writes: string[] = [];
    let left = opts.garbageMiB * MiB;
    for (const [first, last] of ranges) {
      const start = Math.ceil((first * blockSize + MiB) / MiB) * MiB;
      const end = Math.floor(((last + 1) * blockSize - MiB) / MiB) * MiB;
      const length = Math.min(left, end - start);
      if (length <= 0) continue;
      writes.push("-c", `write -q -P 0xa5 ${start} ${length}`);
      left -= length;
      if (left === 0) break;
    }
    if (left > 0) throw new Error(`only ${opts.garbageMiB - left / MiB} MiB of free runs in ${out}`);
    await execa("qemu-io", ["-f", "qcow2", ...writes, out]);
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
