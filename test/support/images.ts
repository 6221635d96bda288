/**
 * Test-image builders using host tools only (mke2fs -d, debugfs, sfdisk, qemu-img, qemu-io):
 * no appliance, ~1 s each. Recipes and layout facts: docs/virt-sparsify.md §3.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, open, rename, rm, writeFile, mkdir, truncate } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { execa } from "execa";
import type { ImageFormat } from "../../src/host/image-format.js";
import { largestFreeExtent, sha256File } from "./image-checks.js";

export * from "./image-checks.js";
export { holdImage, type ImageHold } from "./hold-image.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** First partition starts at sector 2048, the usual 1 MiB alignment. */
const PART_OFFSET = MiB;
export const KEPT_FILE = "/keep.bin";

/** Options for {@link makeExt4Image}. */
export interface Ext4ImageOptions {
  format: ImageFormat;
  /** `part`: MBR with one Linux partition at 1 MiB (virt-sparsify trims /dev/sda1). @default "plain" */
  layout?: "plain" | "part";
  /** Size of the file written then deleted: the garbage sparsify should reclaim. @default 200 */
  deletedMiB?: number;
  /** Size of the random file that must survive. @default 1 */
  keepMiB?: number;
  /** @default 1 */
  sizeGiB?: number;
  /** qcow2 preallocation for `qemu-img convert -o`. @default "off" */
  preallocation?: "off" | "metadata" | "falloc" | "full";
}

/** An ext4 image with one kept file and deleted data. */
export interface Ext4Image {
  path: string;
  format: ImageFormat;
  /** sha256 of {@link KEPT_FILE} inside the filesystem. */
  keepSha256: string;
  keptFile: string;
  /** Byte offset of the filesystem in the disk (0 or 1 MiB). */
  fsOffset: number;
}

/** Writes `mib` MiB of non-zero, incompressible bytes quickly (one random MiB repeated). */
async function writeGarbage(path: string, mib: number): Promise<void> {
  const block = randomBytes(MiB);
  const file = await open(path, "w");
  try {
    for (let i = 0; i < mib; i++) await file.write(block);
  } finally {
    await file.close();
  }
}

/**
 * ext4 with a kept random file and a deleted one whose blocks still hold data, as a guest
 * that deleted files would leave it (recipe 1). Work files live next to `path`.
 */
export async function makeExt4Image(path: string, opts: Ext4ImageOptions): Promise<Ext4Image> {
  const { format, layout = "plain", deletedMiB = 200, keepMiB = 1, sizeGiB = 1, preallocation = "off" } = opts;
  const out = resolve(path);
  const work = await mkdtemp(join(dirname(out), ".mkimg-"));
  try {
    const root = join(work, "root");
    await mkdir(root);
    await writeFile(join(root, "keep.bin"), randomBytes(keepMiB * MiB));
    if (deletedMiB > 0) await writeGarbage(join(root, "big.bin"), deletedMiB);
    const keepSha256 = await sha256File(join(root, "keep.bin"));
    const raw = join(work, "disk.raw");
    await writeFile(raw, "");
    await truncate(raw, sizeGiB * GiB);
    const fsOffset = layout === "part" ? PART_OFFSET : 0;
    let dev = raw;
    if (layout === "part") {
      await execa("sfdisk", ["-q", raw], { input: "start=2048, type=83\n" });
      // Always -b 4096 and a size with a unit: without them mke2fs picks 1 KiB blocks (docs/virt-sparsify.md §9.14).
      const fsMiB = (sizeGiB * GiB - PART_OFFSET) / MiB;
      await execa("mke2fs", ["-q", "-F", "-t", "ext4", "-b", "4096", "-E", `offset=${fsOffset}`, "-d", root, raw, `${fsMiB}M`]);
      dev = `${raw}?offset=${fsOffset}`;
    } else {
      await execa("mke2fs", ["-q", "-F", "-t", "ext4", "-b", "4096", "-d", root, raw]);
    }
    // debugfs rm frees the blocks without zeroing them: exactly what a guest `rm` leaves.
    if (deletedMiB > 0) await execa("debugfs", ["-w", "-R", "rm /big.bin", dev], { stderr: "ignore" });
    await rm(out, { force: true });
    if (format === "raw") {
      await rename(raw, out);
    } else {
      const prealloc = preallocation === "off" ? [] : ["-o", `preallocation=${preallocation}`];
      await execa("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", ...prealloc, raw, out]);
    }
    return { path: out, format, keepSha256, keptFile: KEPT_FILE, fsOffset };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Options for {@link makeSnapshot}. */
export interface SnapshotOptions {
  /** @default "qcow2" */
  baseFormat?: ImageFormat;
  /**
   * Write this many MiB of non-zero bytes through the overlay into blocks the ext4 free list
   * shows as free, i.e. data the guest wrote and deleted after the snapshot (recipe 2). The
   * range comes from dumpe2fs on the real image, not from assumed layout.
   * @default 0
   */
  garbageMiB?: number;
  /** Filesystem offset in the disk (1 MiB for `layout: "part"`). @default 0 */
  fsOffset?: number;
}

/**
 * A qcow2 overlay `top` on `base` (`-F` always given). `base` is stored as passed, so a
 * relative name stays relative to the overlay's directory, as in a storage domain.
 */
export async function makeSnapshot(base: string, top: string, opts: SnapshotOptions = {}) {
  const { baseFormat = "qcow2", garbageMiB = 0, fsOffset = 0 } = opts;
  await rm(top, { force: true });
  await execa("qemu-img", ["create", "-q", "-f", "qcow2", "-b", base, "-F", baseFormat, resolve(top)]);
  if (garbageMiB === 0) return { path: resolve(top), garbage: undefined };
  const free = await largestFreeExtent(top, "qcow2", fsOffset);
  // MiB-aligned and 1 MiB clear of the run's start; qemu-io takes byte offsets.
  const start = Math.ceil((free.start + MiB) / MiB) * MiB;
  const length = garbageMiB * MiB;
  if (start + length > free.start + free.length) throw new Error(`no free run of ${garbageMiB} MiB in ${top}`);
  await execa("qemu-io", ["-f", "qcow2", "-c", `write -q -P 0xab ${start} ${length}`, resolve(top)]);
  return { path: resolve(top), garbage: { start, length } };
}

/** A template with deleted data and two linked clones (`clone-1.qcow2`, `clone-2.qcow2`). */
export async function makeTemplateWithClones(dir: string) {
  const template = await makeExt4Image(join(dir, "template.qcow2"), { format: "qcow2" });
  const clones: string[] = [];
  for (const name of ["clone-1.qcow2", "clone-2.qcow2"]) {
    clones.push((await makeSnapshot("template.qcow2", join(dir, name))).path);
  }
  return { template, clones };
}

/** ext4 with deleted data, converted with `-o preallocation=metadata` (every cluster mapped). */
export const makePreallocatedQcow2 = (path: string, opts: Omit<Ext4ImageOptions, "format" | "preallocation"> = {}) =>
  makeExt4Image(path, { ...opts, format: "qcow2", preallocation: "metadata" });

/**
 * A file meant to be raw whose first bytes are a qcow2 header with a backing file outside the
 * storage domain: what a hostile guest can write to its raw disk. Opened with `-f raw` it is
 * harmless; probed, qemu would follow the backing file.
 */
export async function makeRawWithQcow2Header(path: string, backingOutside = "/etc/hostname"): Promise<void> {
  await rm(path, { force: true });
  await execa("qemu-img", ["create", "-q", "-f", "qcow2", "-b", backingOutside, "-F", "raw", resolve(path), "1G"]);
}

/** A disk with no filesystem: random bytes, or all zeros (sparse). virt-sparsify "completes" on both. */
export async function makeNoFilesystemImage(
  path: string,
  opts: { kind?: "random" | "zeros"; sizeMiB?: number } = {},
): Promise<void> {
  const { kind = "random", sizeMiB = 10 } = opts;
  await rm(path, { force: true });
  if (kind === "random") await writeGarbage(path, sizeMiB);
  else {
    await writeFile(path, "");
    await truncate(path, sizeMiB * MiB);
  }
}
