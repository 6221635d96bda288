/**
 * bench:estimate — the read-only reclaim estimate next to a real `virt-sparsify --in-place` on a
 * copy of the same image: 1 GiB qcow2 (200 MiB deleted) and 16 GiB qcow2 (4 GiB of garbage in
 * free blocks, docs/virt-sparsify.md §4). Estimate: median of 10 after one warm-up. Targets: estimate ≤ 1 % of the
 * virt-sparsify wall time, and within max(5 %, 8 MiB) of the bytes virt-sparsify gave back.
 */
import { copyFile, mkdtemp, rm, stat } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { estimateReclaimable, type ReclaimEstimate } from "../src/host/estimate/estimate-reclaimable.js";
import { qemuImgInfo } from "../src/host/qemu-img.js";
import { runVirtSparsify } from "../src/host/virt-sparsify-runner.js";
import { makeGarbageQcow2 } from "../test/support/estimate-images.js";
import { makeExt4Image } from "../test/support/images.js";
import { waitForNoOtherSparsify } from "./sparsify-processes.js";
import { percentile } from "./stats.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const MiB = 1024 * 1024;
const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

interface Row {
  name: string;
  estimateMs: number[];
  estimate: ReclaimEstimate;
  sparsifyMs: number;
  reclaimed: number;
}

async function measure(name: string, image: string, dir: string): Promise<Row> {
  const volumes = [{ path: image, format: "qcow2" as const }];
  const { mtimeMs } = await stat(image);
  let estimate = await estimateReclaimable({ volumes }); // warm-up: module JIT, page cache
  const estimateMs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    estimate = await estimateReclaimable({ volumes });
    estimateMs.push(performance.now() - t0);
  }
  if ((await stat(image)).mtimeMs !== mtimeMs) throw new Error(`${image} was modified by the estimate`);

  // A sparse copy (holes stay holes), sparsified for real.
  const copy = path.join(dir, `copy-${path.basename(image)}`);
  await execa("cp", ["--sparse=always", image, copy]);
  const before = (await qemuImgInfo(copy, "qcow2", { shared: true })).actualSize;
  await waitForNoOtherSparsify();
  const run = await runVirtSparsify({
    path: copy,
    format: "qcow2",
    timeoutMs: 300_000,
    backendSettings: "force_tcg",
    tmpRoot: dir,
  });
  if (run.exitCode !== 0) throw new Error(`virt-sparsify failed: ${run.errorMessage ?? run.stderrTail}`);
  const after = (await qemuImgInfo(copy, "qcow2", { shared: true })).actualSize;
  await rm(copy, { force: true });
  return { name, estimateMs, estimate, sparsifyMs: run.durationMs, reclaimed: before - after };
}

const dir = await mkdtemp(path.join(tmpdir(), "bench-estimate-"));
let failed = false;
try {
  console.log(`estimate vs virt-sparsify (TCG), ${ROUNDS} timed estimates per image after a warm-up; load average ${load()}`);
  const t0 = performance.now();
  const small = (await makeExt4Image(path.join(dir, "1g.qcow2"), { format: "qcow2", deletedMiB: 200 })).path;
  const big = await makeGarbageQcow2(path.join(dir, "16g.qcow2"), { sizeGiB: 16, garbageMiB: 4096 });
  console.log(
    `built 1 GiB and 16 GiB images in ${((performance.now() - t0) / 1000).toFixed(1)} s (16 GiB ` +
      `actual ${mib((await qemuImgInfo(big, "qcow2", { shared: true })).actualSize)})`,
  );

  const rows = [
    await measure("1 GiB qcow2, 200 MiB deleted", small, dir),
    await measure("16 GiB qcow2, 4 GiB garbage", big, dir),
  ];
  for (const r of rows) {
    const median = percentile(r.estimateMs, 50);
    const ratio = median / r.sparsifyMs;
    const off = r.estimate.reclaimableBytes - r.reclaimed;
    const allowed = Math.max(0.05 * r.reclaimed, 8 * MiB);
    const fast = ratio <= 0.01;
    const close = Math.abs(off) <= allowed;
    failed ||= !fast || !close;
    console.log(`\n${r.name}`);
    console.log(
      `  estimate        : median ${median.toFixed(1)} ms (min ` +
        `${Math.min(...r.estimateMs).toFixed(1)}, p90 ${percentile(r.estimateMs, 90).toFixed(1)}); ` +
        `${r.estimate.method}`,
    );
    console.log(`  virt-sparsify   : ${(r.sparsifyMs / 1000).toFixed(2)} s`);
    console.log(
      `  ratio           : ${(ratio * 100).toFixed(3)} % of a virt-sparsify run (target ≤ 1 %) ${fast ? "OK" : "MISSED"}`,
    );
    console.log(
      `  reclaim         : estimate ${r.estimate.reclaimableBytes} B ` +
        `(${mib(r.estimate.reclaimableBytes)}) vs actual ${r.reclaimed} B (${mib(r.reclaimed)}): off by ` +
        `${mib(off)} (${((off / r.reclaimed) * 100).toFixed(3)} %; allowed ±${mib(allowed)}) ` +
        `${close ? "OK" : "MISSED"}`,
    );
  }
  console.log(`\nload average at the end ${load()}`);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
