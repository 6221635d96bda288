import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rename, rm, truncate, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { execa } from "execa";
import type { ImageFormat } from "../../src/host/image-format.js";
import { withRawView } from "./image-checks.js";

/**
 * Marks the ext filesystem at `offset` as needing journal recovery (the state a guest that lost
 * power leaves): debugfs sets the `needs_recovery` feature. Through a writable view for qcow2.
 */
export async function makeJournalDirty(path: string, format: ImageFormat, offset = 0): Promise<void> {
  const dev = (raw: string) => (offset ? `${raw}?offset=${offset}` : raw);
  if (format === "raw") {
    await execa("debugfs", ["-w", "-R", "feature needs_recovery", dev(path)], { stdin: "ignore" });
    return;
  }
  // qcow2: convert out, flag, convert back (small test images; the guest view is what matters).
  const raw = `${path}.dirty.raw`;
  await execa("qemu-img", ["convert", "-f", "qcow2", "-O", "raw", path, raw]);
  await execa("debugfs", ["-w", "-R", "feature needs_recovery", dev(raw)], { stdin: "ignore" });
  await execa("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, path]);
  await execa("rm", ["-f", raw]);
}

/** `qemu-img info` actual size (bytes the image uses on the host). */
export async function actualSize(path: string, format: ImageFormat): Promise<number> {
  const { stdout } = await execa("qemu-img", ["info", "--output=json", "-U", "-f", format, path]);
  return (JSON.parse(stdout) as { "actual-size": number })["actual-size"];
}

/** The first inode table of the ext filesystem at `offset`, as a disk byte range (dumpe2fs). */
export async function firstInodeTable(path: string, format: ImageFormat, offset = 0): Promise<{ start: number; end: number }> {
  const text = await withRawView(
    path,
    format,
    async (raw) =>
      (await execa("dumpe2fs", [offset ? `${raw}?offset=${offset}` : raw], { stdin: "ignore", stderr: "ignore" })).stdout,
  );
  const blockSize = Number(/^Block size:\s+(\d+)/m.exec(text)![1]);
  const m = /Inode table at (\d+)-(\d+)/.exec(text)!;
  return { start: offset + Number(m[1]) * blockSize, end: offset + (Number(m[2]) + 1) * blockSize };
}

const MiB = 1024 * 1024;

/** Options for {@link makeExtImage}. */
export interface ExtImageOptions {
  format: ImageFormat;
  fsType: "ext2" | "ext3" | "ext4";
  /** `mbr`: one Linux partition at 1 MiB; `gpt-esp`: a 64 MiB EFI system partition (vfat), then ext, then swap. */
  layout: "plain" | "mbr" | "gpt-esp";
  sizeMiB?: number;
  deletedMiB?: number;
}

/** An ext image as {@link makeExtImage} made it: where the filesystem is and what must survive. */
export interface ExtImage {
  path: string;
  format: ImageFormat;
  fsOffset: number;
  keptFile: string;
  keepSha256: string;
}

/**
 * An ext2/3/4 disk with a kept random file and `deletedMiB` of deleted data whose blocks still
 * hold it (debugfs rm), plain or partitioned; `gpt-esp` also has a vfat ESP (left alone) and a
 * swap partition full of old pages. Host tools only (sfdisk, mke2fs, debugfs, mkfs.vfat, mkswap).
 */
export async function makeExtImage(path: string, opts: ExtImageOptions): Promise<ExtImage> {
  const { format, fsType, layout, sizeMiB = 512, deletedMiB = 100 } = opts;
  const out = resolve(path);
  const work = await mkdtemp(join(dirname(out), ".mkext-"));
  try {
    const root = join(work, "root");
    await mkdir(root);
    const keep = randomBytes(MiB);
    await writeFile(join(root, "keep.bin"), keep);
    const block = randomBytes(MiB);
    await writeFile(join(root, "big.bin"), Buffer.concat(Array.from({ length: deletedMiB }, () => block)));
    const raw = join(work, "disk.raw");
    await writeFile(raw, "");
    await truncate(raw, sizeMiB * MiB);
    let fsOffset = 0;
    let fsMiB = sizeMiB;
    if (layout === "mbr") {
      await execa("sfdisk", ["-q", raw], { input: "start=2048, type=83\n" });
      fsOffset = MiB;
      fsMiB = sizeMiB - 1;
    }
    if (layout === "gpt-esp") {
      const linux = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
      const esp = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
      const swap = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F";
      await execa("sfdisk", ["-q", raw], {
        input: `label: gpt\nstart=2048, size=64MiB, type=${esp}\nsize=${sizeMiB - 128}MiB, type=${linux}\nsize=+, type=${swap}\n`,
      });
      const { stdout } = await execa("sfdisk", ["--json", raw]);
      const parts = (JSON.parse(stdout) as { partitiontable: { partitions: { start: number; size: number }[] } }).partitiontable
        .partitions;
      const vfat = join(work, "esp.img");
      await writeFile(vfat, "");
      await truncate(vfat, parts[0]!.size * 512);
      await execa("mkfs.vfat", ["-F", "32", vfat]);
      await execa("dd", [`if=${vfat}`, `of=${raw}`, "bs=512", `seek=${parts[0]!.start}`, "conv=notrunc", "status=none"]);
      fsOffset = parts[1]!.start * 512;
      fsMiB = (parts[1]!.size * 512) / MiB;
      const swapImg = join(work, "swap.img");
      await writeFile(swapImg, "");
      await truncate(swapImg, parts[2]!.size * 512);
      await execa("mkswap", ["-q", swapImg]);
      await writeFile(swapImg, Buffer.concat(Array.from({ length: 8 }, () => block)), { flag: "r+" }).catch(() => undefined);
      await execa("mkswap", ["-q", swapImg]); // a real header again; the pages after it keep old data
      await execa("dd", [`if=${swapImg}`, `of=${raw}`, "bs=512", `seek=${parts[2]!.start}`, "conv=notrunc", "status=none"]);
    }
    await execa("mke2fs", [
      "-q",
      "-F",
      "-t",
      fsType,
      "-b",
      "4096",
      ...(fsOffset ? ["-E", `offset=${fsOffset}`] : []),
      "-d",
      root,
      raw,
      `${fsMiB}M`,
    ]);
    const dev = fsOffset ? `${raw}?offset=${fsOffset}` : raw;
    await execa("debugfs", ["-w", "-R", "rm /big.bin", dev], { stderr: "ignore" });
    await rm(out, { force: true });
    if (format === "raw") await rename(raw, out);
    else await execa("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, out]);
    return { path: out, format, fsOffset, keptFile: "/keep.bin", keepSha256: createHash("sha256").update(keep).digest("hex") };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
