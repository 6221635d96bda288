/**
 * bench:direct-proof — what proving the free space costs next to reading it once. For a 16 GiB
 * ext4 and a 16 GiB XFS (sparse raw, 30 MiB of files), through the same FUSE window: the
 * baseline is the estimator's single sandboxed reader (dumpe2fs; xfs_db freesp), the measured run
 * is proveFreeRanges (superblock proof, clean checks, both readers, intersection). Median of
 * BENCH_ROUNDS (5) after a warm-up, run alternately so load hits both alike; the ratio is the point.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import type { DirectFsKind, PartitionView } from "../src/host/direct/direct-contract.js";
import { proveFreeRanges } from "../src/host/direct/prove-free-ranges.js";
import { parseExtFreeBlocks } from "../src/host/estimate/ext-free-ranges.js";
import { totalBytes } from "../src/host/estimate/interval-math.js";
import { runUntrusted } from "../src/host/estimate/run-untrusted.js";
import { parseXfsFreeExtents, XFS_DB_COMMANDS } from "../src/host/estimate/xfs-free-ranges.js";
import { makeSourceTree, mkExt, mkXfs, sparseFile, withPartitionView } from "../test/support/direct-images.js";
import { percentile } from "./stats.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const GiB = 1024 ** 3;
const SIZE = 16 * GiB;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

/** The estimator's one reader, for the baseline. */
async function readOnce(view: PartitionView): Promise<number> {
  if (view.kind === "ext") parseExtFreeBlocks(await runUntrusted(["dumpe2fs", view.path]));
  else parseXfsFreeExtents(await runUntrusted(["xfs_db", "-r", "-f", ...XFS_DB_COMMANDS, view.path]));
  return 0;
}

async function measure(name: string, image: string, kind: DirectFsKind): Promise<boolean> {
  return withPartitionView(image, { number: 0, start: 0, length: SIZE }, kind, async (view) => {
    const proven = await proveFreeRanges(view); // warm-up, and what is proven
    await readOnce(view);
    const base: number[] = [];
    const proof: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t0 = performance.now();
      await readOnce(view);
      base.push(performance.now() - t0);
      t0 = performance.now();
      await proveFreeRanges(view);
      proof.push(performance.now() - t0);
    }
    const [b, p] = [percentile(base, 50), percentile(proof, 50)];
    console.log(
      `${name.padEnd(14)} one reader ${b.toFixed(0).padStart(5)} ms   proof ${p.toFixed(0).padStart(5)} ms   ` +
        `ratio ${(p / b).toFixed(2)}×   ` +
        `proven free ${(totalBytes(proven.ranges) / GiB).toFixed(2)} GiB in ${proven.ranges.length} ranges   load ${load()}`,
    );
    return totalBytes(proven.ranges) > SIZE / 2;
  });
}

const dir = await mkdtemp(path.join(tmpdir(), "bench-direct-proof-"));
let failed = false;
try {
  console.log(`DIRECT free-space proof vs one reader, 16 GiB sparse raw, median of ${ROUNDS}; load average ${load()}`);
  const root = await makeSourceTree(dir);
  const ext = await sparseFile(path.join(dir, "ext4.raw"), SIZE);
  await mkExt(ext, 0, SIZE, root, ["-t", "ext4"]);
  const xfs = await sparseFile(path.join(dir, "xfs.raw"), SIZE);
  await mkXfs(xfs, 0, SIZE, root, []);
  await rm(`${xfs}.xfs-0`, { force: true });
  for (const [name, image, kind] of [
    ["ext4 16 GiB", ext, "ext"],
    ["XFS 16 GiB", xfs, "xfs"],
  ] as const) {
    if (!(await measure(name, image, kind))) {
      console.log(`FAIL ${name}: less than half the disk proven free`);
      failed = true;
    }
  }
  console.log(`load average after ${load()}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
if (failed) process.exitCode = 1;
