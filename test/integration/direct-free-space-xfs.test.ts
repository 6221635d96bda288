/**
 * The DIRECT free-space proof on real XFS v5 filesystems (mkfs.xfs, xfs_db, xfs_logprint): both
 * readers agree, no block of a file lies in the proven ranges, and punching every proven range
 * out (what the discards do) leaves a filesystem `xfs_repair -n` calls clean. A really dirty log
 * (a loop mount shut down with xfs_io) and a forged superblock are refused.
 */
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectFallbackReason } from "../../src/domain/direct-method.js";
import { DirectRefusal, type ProvenFreeSpace } from "../../src/host/direct/direct-contract.js";
import { proveFreeRanges } from "../../src/host/direct/prove-free-ranges.js";
import { totalBytes } from "../../src/host/estimate/interval-math.js";
import { blocksInside, makeSourceTree, mkXfs, sparseFile, withPartitionView, xfsFileBlocks } from "../support/direct-images.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

const MiB = 1024 * 1024;
const tools = requireTools(
  "mkfs.xfs",
  "xfs_db",
  "xfs_logprint",
  "xfs_repair",
  "xfs_io",
  "fallocate",
  "mount",
  "umount",
  "qemu-storage-daemon",
  "fusermount3",
  "setpriv",
);
const SIZE = 512 * MiB;
const whole = { number: 0, start: 0, length: SIZE };

async function punch(image: string, proven: ProvenFreeSpace): Promise<void> {
  for (const r of proven.ranges) await execa("fallocate", ["-p", "-o", String(r.start), "-l", String(r.end - r.start), image]);
}

async function refusal(p: Promise<unknown>): Promise<DirectRefusal> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DirectRefusal);
  return error as DirectRefusal;
}

const sb = async (image: string, fields: string) => {
  const { stdout } = await execa("xfs_db", ["-r", "-f", "-c", "sb 0", "-c", `p ${fields}`, image]);
  return Object.fromEntries([...stdout.matchAll(/^(\w+) = (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
};

/** Free blocks by the superblock's counter after a repair pass: sum of the AGFs' free space plus free lists. */
const freeByXfsDb = async (image: string) => {
  const { stdout } = await execa("xfs_db", ["-r", "-f", "-c", "freesp -s", image]);
  return Number(/total free blocks (\d+)/.exec(stdout)![1]);
};

/** Loop-mounts `image`, runs `work` in the mount point, then shuts the filesystem down hard or unmounts it. */
async function mounted(image: string, work: (mnt: string) => Promise<void>, end: "shutdown" | "unmount"): Promise<void> {
  const mnt = await makeTempDir("direct-xfs-mnt-");
  await execa("mount", ["-o", "loop", image, mnt.path]);
  try {
    await work(mnt.path);
    // shutdown -f flushes the log first: the transactions are on disk, the unmount record is not.
    if (end === "shutdown") await execa("xfs_io", ["-x", "-c", "shutdown -f", mnt.path]);
  } finally {
    await execa("umount", [mnt.path]);
    await mnt.remove();
  }
}

describe.skipIf(!tools)("proveFreeRanges on XFS filesystems", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let root: string;
  beforeAll(async () => {
    dir = await makeTempDir("direct-xfs-");
    root = await makeSourceTree(dir.path);
  });
  afterAll(() => dir?.remove());

  async function make(name: string, args: string[]): Promise<{ image: string; fsFile: string }> {
    const image = await sparseFile(join(dir.path, `${name}.raw`), SIZE);
    const fsFile = await mkXfs(image, 0, SIZE, root, args);
    return { image, fsFile };
  }

  async function expectProven(image: string, fsFile: string): Promise<void> {
    const proven = await withPartitionView(image, whole, "xfs", (view) => proveFreeRanges(view));
    const geometry = await sb(fsFile, "blocksize agblocks");
    expect(proven).toMatchObject({ kind: "xfs", blockSize: geometry.blocksize });
    for (const r of proven.ranges)
      expect(r.start % proven.blockSize === 0 && r.end % proven.blockSize === 0 && r.end <= SIZE).toBe(true);
    // All the free space but the AG free lists (a few blocks per AG).
    const free = (await freeByXfsDb(fsFile)) * proven.blockSize;
    const proved = totalBytes(proven.ranges);
    expect(proved).toBeLessThan(free);
    expect(proved).toBeGreaterThan(free - 64 * proven.blockSize * (await sb(fsFile, "agcount")).agcount!);
    const used = await xfsFileBlocks(fsFile, geometry.agblocks!);
    expect(used.length).toBeGreaterThan((29 * MiB) / proven.blockSize);
    expect(blocksInside(proven.ranges, used, 0, proven.blockSize)).toEqual([]);
    await punch(image, proven);
    await execa("xfs_repair", ["-n", "-f", image]);
  }

  it.each<[string, string[]]>([
    ["XFS v5 defaults (reflink, finobt)", []],
    ["XFS v5 with rmapbt and reflink", ["-m", "rmapbt=1,reflink=1"]],
    ["XFS v5 without reflink or rmapbt", ["-m", "rmapbt=0,reflink=0"]],
    ["XFS v5, 1 KiB blocks", ["-b", "size=1024"]],
  ])("%s: both readers agree, files stay outside, xfs_repair clean after punching", async (name, args) => {
    const { image, fsFile } = await make(name.replace(/\W+/g, "-"), args);
    await expectProven(image, fsFile);
  });

  it("a fragmented free space (multi-level by-block btree) is walked whole", async () => {
    const { image, fsFile } = await make("fragmented", ["-b", "size=1024", "-d", "agcount=2"]);
    // 1 KiB blocks: a leaf holds 121 free extents; every other of 600 files deleted leaves ~600.
    await mounted(
      fsFile,
      async (mnt) => {
        const block = Buffer.alloc(3072, 7);
        for (let i = 0; i < 600; i++) {
          const fd = await open(join(mnt, `f${i}`), "w");
          await fd.write(block).finally(() => fd.close());
        }
        await execa("sync");
        for (let i = 0; i < 600; i += 2) await rm(join(mnt, `f${i}`));
      },
      "unmount",
    );
    const { stdout } = await execa("xfs_db", ["-r", "-f", "-c", "agf 0", "-c", "p bnolevel", fsFile]);
    expect(Number(/bnolevel = (\d+)/.exec(stdout)![1])).toBeGreaterThan(1);
    await execa("dd", [`if=${fsFile}`, `of=${image}`, "bs=1M", "conv=notrunc,sparse", "status=none"]);
    await expectProven(image, fsFile);
  });

  it("a really dirty log (shut down while mounted) is refused", async () => {
    const { image, fsFile } = await make("dirty", []);
    await mounted(
      fsFile,
      async (mnt) => {
        await execa("cp", ["-r", root, join(mnt, "copy")]);
        await execa("sync");
      },
      "shutdown",
    );
    await execa("dd", [`if=${fsFile}`, `of=${image}`, "bs=1M", "conv=notrunc,sparse", "status=none"]);
    const error = await refusal(withPartitionView(image, whole, "xfs", (view) => proveFreeRanges(view)));
    expect(error.reason, error.message).toBe(DirectFallbackReason.XFS_LOG_DIRTY);
    expect(error.message).toMatch(/log is dirty \(tail \d+, head \d+\)/);
  });

  it("a forged superblock (more blocks than the partition) is refused", async () => {
    const { image } = await make("forged", []);
    const fd = await open(image, "r+");
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(SIZE / 4096 + 1));
    await fd.write(b, 0, 8, 8).finally(() => fd.close());
    const error = await refusal(withPartitionView(image, whole, "xfs", (view) => proveFreeRanges(view)));
    expect(error.reason, error.message).toBe(DirectFallbackReason.SUPERBLOCK_MISMATCH);
  });

  it("a by-size btree that disagrees with the by-block btree (one reader each) is refused", async () => {
    const { image, fsFile } = await make("cnt-disagrees", []);
    // Shrink AG 0's largest free extent in the by-size btree only (xfs_db fixes up the CRC).
    const { stdout } = await execa("xfs_db", ["-r", "-f", "-c", "agf 0", "-c", "addr cntroot", "-c", "p numrecs", fsFile]);
    const last = Number(/numrecs = (\d+)/.exec(stdout)![1]);
    await execa("xfs_db", ["-x", "-f", "-c", "agf 0", "-c", "addr cntroot", "-c", `write -d recs[${last}].blockcount 7`, fsFile]);
    await execa("dd", [`if=${fsFile}`, `of=${image}`, "bs=1M", "conv=notrunc,sparse", "status=none"]);
    const error = await refusal(withPartitionView(image, whole, "xfs", (view) => proveFreeRanges(view)));
    expect(error.reason, error.message).toBe(DirectFallbackReason.FREE_SPACE_READERS_DISAGREE);
    expect(error.message).toMatch(/the two free-space readers disagree/);
  });
});
