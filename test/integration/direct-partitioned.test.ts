/**
 * DIRECT on partitioned disks (sfdisk GPT and MBR with logical partitions): planDirect keeps the
 * ESP, the BIOS boot partition and the table's gaps untouched, every planned filesystem's free
 * space is proven through the same offsets the discards use, and punching it all out leaves
 * every filesystem clean and every skipped byte as it was. A hibernation swap, a dirty ext
 * journal and a window that shows another partition are refused.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectFallbackReason } from "../../src/domain/direct-method.js";
import { DirectRefusal, type DirectPlan, type ProvenFreeSpace } from "../../src/host/direct/direct-contract.js";
import { planDirect } from "../../src/host/direct/plan-direct.js";
import { proveFreeRanges } from "../../src/host/direct/prove-free-ranges.js";
import { detectFilesystem, PROBE_BYTES } from "../../src/host/estimate/fs-detect.js";
import { readDiskLayout } from "../../src/host/estimate/partition-table.js";
import {
  copyAt,
  makeSourceTree,
  mkExt,
  mkSwap,
  mkXfs,
  partition,
  sparseFile,
  withPartitionView,
} from "../support/direct-images.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

const MiB = 1024 * 1024;
const tools = requireTools(
  "sfdisk",
  "mke2fs",
  "debugfs",
  "dumpe2fs",
  "e2fsck",
  "mkfs.xfs",
  "xfs_db",
  "xfs_logprint",
  "xfs_repair",
  "mkswap",
  "mkfs.vfat",
  "fallocate",
  "xfs_io",
  "mount",
);
const ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
const BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649";
const LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
const SWAP = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F";

async function readAt(image: string, offset: number, length: number): Promise<Buffer> {
  const fd = await open(image, "r");
  try {
    const b = Buffer.alloc(length);
    const { bytesRead } = await fd.read(b, 0, length, offset);
    return b.subarray(0, bytesRead);
  } finally {
    await fd.close();
  }
}

const sha = async (image: string, start: number, length: number) =>
  createHash("sha256")
    .update(await readAt(image, start, length))
    .digest("hex");

async function planOf(image: string, size: number): Promise<DirectPlan> {
  const read = (o: number, l: number) => readAt(image, o, l);
  const layout = await readDiskLayout(read, size);
  const regions = layout.table === "none" ? [{ start: 0, length: size }] : layout.partitions;
  const signatures = await Promise.all(
    regions.map(async (p) => detectFilesystem(await read(p.start, Math.min(PROBE_BYTES, p.length)))),
  );
  return planDirect(layout, signatures, size);
}

async function proveAll(image: string, plan: DirectPlan): Promise<ProvenFreeSpace[]> {
  const out: ProvenFreeSpace[] = [];
  for (const { partition: p, kind } of plan.discard)
    out.push(await withPartitionView(image, p, kind, (view) => proveFreeRanges(view)));
  return out;
}

async function punchAll(image: string, proven: readonly ProvenFreeSpace[]): Promise<void> {
  for (const r of proven.flatMap((p) => p.ranges)) {
    await execa("fallocate", ["-p", "-o", String(r.start), "-l", String(r.end - r.start), image]);
  }
}

async function refusal(p: Promise<unknown>): Promise<DirectRefusal> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DirectRefusal);
  return error as DirectRefusal;
}

/** Makes a vfat filesystem of `bytes` and copies it to `offset`. */
async function mkVfat(image: string, offset: number, bytes: number): Promise<void> {
  const file = await sparseFile(`${image}.vfat-${offset}`, bytes);
  await execa("mkfs.vfat", ["-F", "32", file]);
  await copyAt(file, image, offset);
}

describe.skipIf(!tools)("DIRECT on partitioned disks", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let root: string;
  beforeAll(async () => {
    dir = await makeTempDir("direct-parts-");
    root = await makeSourceTree(dir.path);
  });
  afterAll(() => dir?.remove());

  it("GPT with an ESP, a BIOS boot partition, ext4, XFS and swap: only the three are discarded in, all stay clean", async () => {
    const size = 1280 * MiB;
    const image = await sparseFile(join(dir.path, "gpt.raw"), size);
    const [esp, bios, ext4, xfs, swap] = await partition(
      image,
      [
        "label: gpt",
        `start=2048, size=64MiB, type=${ESP}`,
        `size=1MiB, type=${BIOS_BOOT}`,
        `size=400MiB, type=${LINUX}`,
        `size=512MiB, type=${LINUX}`,
        `size=128MiB, type=${SWAP}`,
        "",
      ].join("\n"),
    );
    await mkVfat(image, esp!.start, esp!.length);
    await mkExt(image, ext4!.start, ext4!.length, root, ["-t", "ext4"]);
    const xfsFile = await mkXfs(image, xfs!.start, xfs!.length, root, []);
    await mkSwap(image, swap!.start, swap!.length);
    const plan = await planOf(image, size);
    expect(plan.discard.map((d) => [d.partition.number, d.kind])).toEqual([
      [3, "ext"],
      [4, "xfs"],
      [5, "swap"],
    ]);
    expect(plan.skipped.map((s) => [s.number, s.found])).toEqual([
      [null, "gap"],
      [1, "vfat"],
      [2, "unknown"],
      [null, "gap"],
    ]);
    const untouched = await Promise.all(plan.skipped.map((s) => sha(image, s.start, s.length)));
    const proven = await proveAll(image, plan);
    proven.forEach((p, i) => {
      const { start, length } = plan.discard[i]!.partition;
      for (const r of p.ranges) expect(r.start >= start && r.end <= start + length).toBe(true);
    });
    expect(proven[2]!.ranges).toEqual([{ start: swap!.start + 4096, end: swap!.start + swap!.length }]);
    await punchAll(image, proven);
    expect(await Promise.all(plan.skipped.map((s) => sha(image, s.start, s.length)))).toEqual(untouched);
    await execa("e2fsck", ["-fn", `${image}?offset=${ext4!.start}`]);
    const region = [`skip=${xfs!.start}`, `count=${xfs!.length}`, "iflag=skip_bytes,count_bytes"];
    await execa("dd", [`if=${image}`, `of=${xfsFile}`, "bs=1M", ...region, "status=none"]);
    await execa("xfs_repair", ["-n", "-f", xfsFile]);
    expect((await readAt(image, swap!.start + 4086, 10)).toString("latin1")).toBe("SWAPSPACE2");
  });

  it("MBR with logical partitions: ext2 (1 KiB blocks), vfat, an empty one, swap and ext4 in the extended partition", async () => {
    const size = 512 * MiB;
    const image = await sparseFile(join(dir.path, "mbr.raw"), size);
    const script = ["start=2048, size=128MiB, type=83", "size=32MiB, type=ef", "size=8MiB, type=83", "size=+, type=5"];
    script.push("size=64MiB, type=82", "size=128MiB, type=83", "");
    const [p1, p2, , , p5, p6] = await partition(image, script.join("\n"));
    await mkExt(image, p1!.start, p1!.length, root, ["-t", "ext2", "-b", "1024"]);
    await mkVfat(image, p2!.start, p2!.length);
    await mkSwap(image, p5!.start, p5!.length);
    await mkExt(image, p6!.start, p6!.length, root, ["-t", "ext4"]);
    const plan = await planOf(image, size);
    expect(plan.discard.map((d) => [d.partition.number, d.kind])).toEqual([
      [1, "ext"],
      [5, "swap"],
      [6, "ext"],
    ]);
    expect(plan.skipped.filter((s) => s.found !== "gap").map((s) => [s.number, s.found])).toEqual([
      [2, "vfat"],
      [3, "unknown"],
    ]);
    const proven = await proveAll(image, plan);
    await punchAll(image, proven);
    await execa("e2fsck", ["-fn", `${image}?offset=${p1!.start}`]);
    await execa("e2fsck", ["-fn", `${image}?offset=${p6!.start}`]);
    // A window onto another partition than the discards' offsets: the superblocks differ.
    const wrong = await refusal(
      withPartitionView(image, p1!, "ext", (view) =>
        withPartitionView(image, p6!, "ext", (other) => proveFreeRanges({ ...other, path: view.path })),
      ),
    );
    expect(wrong.reason, wrong.message).toBe(DirectFallbackReason.SUPERBLOCK_MISMATCH);
  });

  it("a hibernation image in the swap partition refuses the whole disk", async () => {
    const size = 256 * MiB;
    const image = await sparseFile(join(dir.path, "hibernated.raw"), size);
    const script = ["label: gpt", `start=2048, size=128MiB, type=${LINUX}`, `size=64MiB, type=${SWAP}`, ""];
    const [p1, p2] = await partition(image, script.join("\n"));
    await mkExt(image, p1!.start, p1!.length, root, ["-t", "ext4"]);
    await mkSwap(image, p2!.start, p2!.length);
    // What the kernel writes over the signature when it hibernates to this swap.
    const fd = await open(image, "r+");
    await fd.write(Buffer.from("S1SUSPEND\0", "latin1"), 0, 10, p2!.start + 4086).finally(() => fd.close());
    const planned = await refusal(planOf(image, size));
    expect(planned.reason).toBe(DirectFallbackReason.SWAP_NOT_PLAIN);
    const proved = await refusal(withPartitionView(image, p2!, "swap", (view) => proveFreeRanges(view)));
    expect(proved.reason).toBe(DirectFallbackReason.SWAP_NOT_PLAIN);
  });

  it("an ext4 left with a dirty journal (shut down while mounted) is refused", async () => {
    const size = 256 * MiB;
    const image = await sparseFile(join(dir.path, "dirty-ext4.raw"), size);
    await mkExt(image, 0, size, root, ["-t", "ext4"]);
    const mnt = await makeTempDir("direct-ext-mnt-");
    await execa("mount", ["-o", "loop", image, mnt.path]);
    try {
      await execa("cp", ["-r", root, join(mnt.path, "copy")]);
      await execa("sync");
      await execa("xfs_io", ["-x", "-c", "shutdown -f", mnt.path]);
    } finally {
      await execa("umount", [mnt.path]);
      await mnt.remove();
    }
    const error = await refusal(
      withPartitionView(image, { number: 0, start: 0, length: size }, "ext", (view) => proveFreeRanges(view)),
    );
    expect(error.reason, error.message).toBe(DirectFallbackReason.EXT_NOT_CLEAN);
  });
});
