/**
 * The DIRECT free-space proof on real ext2/3/4 filesystems (mke2fs, debugfs, dumpe2fs): both
 * readers agree, no block of a file lies in the proven ranges, and punching every proven range
 * out of the image (what the discards do) leaves a filesystem e2fsck calls clean with every file
 * intact. Dirty, unsupported and forged filesystems are refused with their reason.
 */
import { createHash } from "node:crypto";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectFallbackReason } from "../../src/domain/direct-method.js";
import { DirectRefusal, type ProvenFreeSpace } from "../../src/host/direct/direct-contract.js";
import { proveFreeRanges } from "../../src/host/direct/prove-free-ranges.js";
import { totalBytes } from "../../src/host/estimate/interval-math.js";
import {
  blocksInside,
  extFileBlocks,
  makeSourceTree,
  mkExt,
  sparseFile,
  TEST_FILES,
  withPartitionView,
} from "../support/direct-images.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

const MiB = 1024 * 1024;
const tools = requireTools(
  "mke2fs",
  "debugfs",
  "dumpe2fs",
  "e2fsck",
  "fallocate",
  "qemu-storage-daemon",
  "fusermount3",
  "setpriv",
  "prlimit",
  "unshare",
);
const SIZE = 1024 * MiB; // 8 groups of 4 KiB blocks, 128 of 1 KiB: flex_bg packs, BLOCK_UNINIT groups
const whole = { number: 0, start: 0, length: SIZE };

/** Punches every proven range out of the image, as the discards will. */
async function punch(image: string, proven: ProvenFreeSpace): Promise<void> {
  for (const r of proven.ranges) await execa("fallocate", ["-p", "-o", String(r.start), "-l", String(r.end - r.start), image]);
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function refusal(p: Promise<unknown>): Promise<DirectRefusal> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DirectRefusal);
  return error as DirectRefusal;
}

/** Writes `value` (u16/u32 LE) at `offset` of the superblock of the filesystem at 0. */
async function poke(image: string, offset: number, value: number, bytes: 2 | 4): Promise<void> {
  const b = Buffer.alloc(bytes);
  if (bytes === 2) b.writeUInt16LE(value);
  else b.writeUInt32LE(value);
  const fd = await open(image, "r+");
  await fd.write(b, 0, bytes, 1024 + offset).finally(() => fd.close());
}

describe.skipIf(!tools)("proveFreeRanges on ext filesystems", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let root: string;
  beforeAll(async () => {
    dir = await makeTempDir("direct-ext-");
    root = await makeSourceTree(dir.path);
  });
  afterAll(() => dir?.remove());

  async function make(name: string, args: string[]): Promise<string> {
    const image = await sparseFile(join(dir.path, `${name}.raw`), SIZE);
    await mkExt(image, 0, SIZE, root, args);
    return image;
  }

  it.each<[string, string[]]>([
    ["ext2", ["-t", "ext2", "-b", "4096"]],
    ["ext3", ["-t", "ext3", "-b", "4096"]],
    ["ext4 (flex_bg, metadata_csum, 64bit)", ["-t", "ext4", "-b", "4096"]],
    ["ext4 without flex_bg", ["-t", "ext4", "-b", "4096", "-O", "^flex_bg"]],
    ["ext4 without metadata_csum (uninit_bg)", ["-t", "ext4", "-b", "4096", "-O", "^metadata_csum"]],
    ["ext4 without 64bit (32-byte descriptors)", ["-t", "ext4", "-b", "4096", "-O", "^64bit"]],
    ["ext4, 1 KiB blocks", ["-t", "ext4", "-b", "1024"]],
    ["ext2, 1 KiB blocks", ["-t", "ext2", "-b", "1024"]],
  ])("%s: both readers agree, files stay outside, e2fsck clean after punching", async (name, args) => {
    const image = await make(name.replace(/\W+/g, "-"), args);
    const proven = await withPartitionView(image, whole, "ext", (view) => proveFreeRanges(view));
    expect(proven.kind).toBe("ext");
    const { stdout: header } = await execa("dumpe2fs", ["-h", image], { stderr: "ignore" });
    const freeBlocks = Number(/^Free blocks:\s+(\d+)/m.exec(header)![1]);
    expect(proven.blockSize).toBe(Number(/^Block size:\s+(\d+)/m.exec(header)![1]));
    // Everything the filesystem counts free is proven free (deleted.bin included), nothing more.
    expect(totalBytes(proven.ranges)).toBe(freeBlocks * proven.blockSize);
    for (const r of proven.ranges)
      expect(r.start % proven.blockSize === 0 && r.end % proven.blockSize === 0 && r.end <= SIZE).toBe(true);
    const used = await extFileBlocks(image, 0);
    expect(used.length).toBeGreaterThan((29 * MiB) / proven.blockSize);
    expect(blocksInside(proven.ranges, used, 0, proven.blockSize)).toEqual([]);
    await punch(image, proven);
    await execa("e2fsck", ["-fn", image]);
    for (const [file] of TEST_FILES) {
      const out = join(dir.path, `${file}.out`);
      await execa("debugfs", ["-R", `dump /${file} ${out}`, image], { stderr: "ignore" });
      expect(sha(await readFile(out)), file).toBe(sha(await readFile(join(root, file))));
    }
  });

  it("bigalloc is refused as an untested feature", async () => {
    const image = await make("bigalloc", ["-t", "ext4", "-b", "4096", "-O", "bigalloc", "-C", "16384"]);
    const error = await refusal(withPartitionView(image, whole, "ext", (view) => proveFreeRanges(view)));
    expect(error.reason).toBe(DirectFallbackReason.EXT_UNSUPPORTED_FEATURE);
  });

  it.each<[string, number, number, 2 | 4, DirectFallbackReason]>([
    ["needs_recovery", 0x60, 0x2c6, 4, DirectFallbackReason.EXT_NOT_CLEAN],
    ["state with errors", 0x3a, 3, 2, DirectFallbackReason.EXT_NOT_CLEAN],
    ["an orphan list", 0xe8, 12, 4, DirectFallbackReason.EXT_NOT_CLEAN],
    ["a block count beyond the partition", 0x04, SIZE / 4096 + 1, 4, DirectFallbackReason.SUPERBLOCK_MISMATCH],
    ["a block count one group short", 0x04, SIZE / 4096 - 32768, 4, DirectFallbackReason.FREE_SPACE_READERS_DISAGREE],
  ])("a superblock with %s is refused", async (name, offset, value, bytes, reason) => {
    // ext2 has no metadata checksum: the forged superblock is still read by dumpe2fs.
    const image = await make(`forged-${name.replace(/\W+/g, "-")}`, ["-t", "ext2", "-b", "4096"]);
    await poke(image, offset, value, bytes);
    const error = await refusal(withPartitionView(image, whole, "ext", (view) => proveFreeRanges(view)));
    expect(error.reason, error.message).toBe(reason);
  });

  it("a block bitmap that frees a file's block behind the group descriptor's back is refused", async () => {
    const image = await make("flipped-bitmap", ["-t", "ext2", "-b", "4096"]);
    const block = (await extFileBlocks(image, 0))[0]!;
    const { stdout } = await execa("dumpe2fs", [image], { stderr: "ignore" });
    const group = Math.floor(block / 32768);
    const bitmapAt = Number(new RegExp(`^Group ${group}:[\\s\\S]*?Block bitmap at (\\d+)`, "m").exec(stdout)![1]);
    const bit = block - group * 32768;
    const fd = await open(image, "r+");
    try {
      const byte = Buffer.alloc(1);
      await fd.read(byte, 0, 1, bitmapAt * 4096 + (bit >> 3));
      byte[0]! &= ~(1 << (bit & 7));
      await fd.write(byte, 0, 1, bitmapAt * 4096 + (bit >> 3));
    } finally {
      await fd.close();
    }
    const error = await refusal(withPartitionView(image, whole, "ext", (view) => proveFreeRanges(view)));
    expect(error.reason, error.message).toBe(DirectFallbackReason.FREE_SPACE_READERS_DISAGREE);
    expect(error.message).toMatch(/bitmaps show \d+ free blocks, the group descriptors count \d+/);
  });

  it("a group descriptor whose block bitmap lies beyond the filesystem is refused", async () => {
    const image = await make("descriptor-outside", ["-t", "ext2", "-b", "4096"]);
    await execa("debugfs", ["-w", "-R", `set_bg 1 block_bitmap ${SIZE / 4096 + 10}`, image], { stderr: "ignore" });
    const error = await refusal(withPartitionView(image, whole, "ext", (view) => proveFreeRanges(view)));
    expect(error.reason, error.message).toBe(DirectFallbackReason.FREE_SPACE_READERS_DISAGREE);
  });
});
