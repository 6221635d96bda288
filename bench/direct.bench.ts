/**
 * bench:direct — DIRECT against bare virt-sparsify, side by side in the same run, on identical
 * copies (`cp --sparse=always`) of one image:
 *  1. 1 GiB ext4 qcow2 with 200 MiB deleted; 2. 16 GiB ext4 qcow2 with 4 GiB of deleted data.
 *     Target: DIRECT wall time (default verification, STANDARD) ≤ 0.02 × virt-sparsify's. Above
 *     it, the host's floor is printed too: the same bytes punched out of a plain file in one call.
 *  3. A fleet of 200 disks (1 GiB ext4 qcow2, 16 MiB deleted, copies of one) sparsified
 *     through the gateway (sparsifyDisks on a DIRECT domain, the worker's DIRECT budget), against
 *     virt-sparsify timed on BENCH_FLEET_SAMPLE (10) of them and extrapolated to 200 at the host's
 *     appliance budget (WORKER_CONCURRENCY). Target: ≤ 0.02×.
 * The machine is shared: /proc/loadavg is printed with every number.
 * BENCH_DIRECT_PARTS=1,2,3 picks parts; BENCH_FLEET (200) and BENCH_FLEET_SAMPLE (10) size part 3,
 * BENCH_DIRECT_CONCURRENCY overrides the host's DIRECT budget for it. BENCH_FLEET_SAMPLE=0 runs the
 * fleet alone (no virt-sparsify): its wall time and the CPU the bench process (gateway and worker)
 * and its children spent per job, with a rough ratio against BENCH_VS_PER_DISK_S (a per-disk
 * virt-sparsify time measured earlier, 7.25 s unless set), labelled as such.
 */
import "reflect-metadata";
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { DirectVerifyMode } from "../src/domain/direct-verify-mode.js";
import { directProver } from "../src/host/direct/direct-prover.js";
import { runDirect } from "../src/host/direct/run-direct.js";
import { defaultBackendSettings, detectCapabilities } from "../src/host/host-capabilities.js";
import { qemuImgInfo } from "../src/host/qemu-img.js";
import { runVirtSparsify } from "../src/host/virt-sparsify-runner.js";
import { makeGarbageQcow2 } from "../test/support/estimate-images.js";
import { makeExt4Image } from "../test/support/images.js";
import { ok, startStack } from "../test/support/stack.js";
import { waitFor } from "../test/support/wait-for.js";
import { addBenchDomain } from "./bench-domain.js";

const MiB = 1024 * 1024;
const PARTS = (process.env.BENCH_DIRECT_PARTS ?? "1,2,3").split(",").map(Number);
const FLEET = Number(process.env.BENCH_FLEET ?? 200);
const SAMPLE = Number(process.env.BENCH_FLEET_SAMPLE ?? 10);
const TARGET = 0.02;
const VS_PER_DISK_S = Number(process.env.BENCH_VS_PER_DISK_S ?? 7.25);

const load = async () => (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");
const size = async (file: string) => (await qemuImgInfo(file, "qcow2", { shared: true })).actualSize;
const copy = (from: string, to: string) => execa("cp", ["--sparse=always", from, to]);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const verdict = (ratio: number) => (ratio <= TARGET ? `OK (≤ ${TARGET})` : `ABOVE TARGET ${TARGET}`);
/** CPU seconds of this process and of its waited-for children so far (/proc/self/stat: utime stime cutime cstime). */
async function cpuSeconds(): Promise<{ self: number; children: number }> {
  const fields = (await readFile("/proc/self/stat", "utf8")).split(") ")[1]!.split(" ").map(Number);
  const tick = 100; // USER_HZ
  return { self: (fields[11]! + fields[12]!) / tick, children: (fields[13]! + fields[14]!) / tick };
}

const caps = await detectCapabilities();
const backendSettings = defaultBackendSettings(caps);
const work = await mkdtemp(path.join(tmpdir(), "bench-direct-"));
let failed = false;

/** virt-sparsify exactly as the worker runs it (runVirtSparsify), wall time. */
async function virtSparsify(file: string): Promise<number> {
  const t0 = performance.now();
  const result = await runVirtSparsify({ path: file, format: "qcow2", timeoutMs: 3_600_000, backendSettings });
  if (result.exitCode !== 0) throw new Error(`virt-sparsify exited ${result.exitCode} on ${file}`);
  return performance.now() - t0;
}

/** DIRECT's wall time, its daemon's stop included, and where the time went. */
async function direct(file: string): Promise<{ ms: number; steps: string }> {
  const t0 = performance.now();
  const result = await runDirect({
    layers: [{ path: file, format: "qcow2" }],
    prover: directProver,
    verify: DirectVerifyMode.STANDARD,
    signal: AbortSignal.timeout(3_600_000),
  });
  const ms = performance.now() - t0;
  const { open, prove, discard, verify } = result.timings;
  const stop = Math.round(ms - result.durationMs);
  return {
    ms,
    steps: `start ${open}, prove ${prove}, discard ${discard} (${result.discardCount}), check ${verify}, stop ${stop} ms`,
  };
}

/**
 * The host's own floor for a discard of `bytes`: one `fallocate --punch-hole` over a plain file of
 * that many written bytes, contiguous (the best case; DIRECT's ranges are scattered through a
 * qcow2). No sparsify method can free those blocks faster on this file system, whose mount
 * options (online `discard`, say) may make the freeing itself the cost.
 */
async function punchFloorMs(bytes: number): Promise<number> {
  const file = path.join(work, "punch-floor.raw");
  const blocks = Math.ceil(bytes / (16 * MiB));
  await execa("dd", ["if=/dev/zero", `of=${file}`, "bs=16M", `count=${blocks}`, "conv=fsync", "status=none"]);
  const t0 = performance.now();
  await execa("fallocate", ["--punch-hole", "--offset", "0", "--length", String(blocks * 16 * MiB), file]);
  const ms = performance.now() - t0;
  await rm(file, { force: true });
  return ms;
}

/**
 * One image, two copies made alike (both by `cp --sparse=always` from the built image, then
 * written back to disk by `sync`, so neither side pays for the other's or its own copy's
 * write-back): virt-sparsify on one, DIRECT on the other, then the ratio.
 */
async function sideBySide(name: string, make: (file: string) => Promise<unknown>): Promise<void> {
  const built = path.join(work, `${name}-built.qcow2`);
  const a = path.join(work, `${name}-vs.qcow2`);
  const b = path.join(work, `${name}-direct.qcow2`);
  await make(built);
  await copy(built, a);
  await copy(built, b);
  await rm(built, { force: true });
  await execa("sync", [a, b]);
  const before = await size(a);
  const loadBefore = await load();
  const d = await direct(b);
  const vsMs = await virtSparsify(a);
  const [vsAfter, directAfter] = [await size(a), await size(b)];
  const ratio = d.ms / vsMs;
  console.log(
    `${name}: virt-sparsify ${s(vsMs)} (${before} → ${vsAfter} B), DIRECT ${s(d.ms)} (→ ${directAfter} B; ${d.steps}); ` +
      `ratio ${ratio.toFixed(4)} ${verdict(ratio)}; loadavg ${loadBefore} → ${await load()}`,
  );
  if (ratio > TARGET) failed = true;
  await rm(a, { force: true });
  await rm(b, { force: true });
  if (ratio > TARGET) {
    // Above target: is it the method, or the host's freeing of the blocks? Same bytes, one punch.
    // The bytes the host file gave back, not the discarded ranges (most of those were holes already).
    const freed = before - directAfter;
    const floor = await punchFloorMs(freed);
    console.log(
      `${name}: host floor, the ${freed} B it freed punched out of a plain file in one call: ${s(floor)} = ` +
        `${(floor / vsMs).toFixed(4)}× virt-sparsify (the target is ${TARGET}×); DIRECT took ${(d.ms / floor).toFixed(2)}× that floor`,
    );
  }
}

try {
  console.log(
    `virt-sparsify ${caps.virtSparsifyVersion} (${caps.accel}, LIBGUESTFS_BACKEND_SETTINGS=${backendSettings ?? "unset"}); ` +
      `DIRECT verification STANDARD`,
  );
  if (PARTS.includes(1))
    await sideBySide("1 GiB ext4 qcow2, 200 MiB deleted", (f) => makeExt4Image(f, { format: "qcow2", deletedMiB: 200 }));
  if (PARTS.includes(2))
    await sideBySide("16 GiB ext4 qcow2, 4 GiB deleted", (f) => makeGarbageQcow2(f, { sizeGiB: 16, garbageMiB: 4096 }));
  if (PARTS.includes(3)) {
    // BENCH_DIRECT_CONCURRENCY sets the host's DIRECT budget (unset: the default of config.ts).
    const env = process.env.BENCH_DIRECT_CONCURRENCY ? { DIRECT_CONCURRENCY: process.env.BENCH_DIRECT_CONCURRENCY } : undefined;
    const stack = await startStack(env ? { env } : {});
    try {
      const domain = await addBenchDomain(stack, "fleet");
      const template = path.join(work, "fleet.qcow2");
      await makeExt4Image(template, { format: "qcow2", deletedMiB: 16 });
      for (let i = 0; i < FLEET; i++) await copy(template, path.join(domain.dir, `disk-${String(i).padStart(3, "0")}.qcow2`));
      // 200 images outlast the mutation's SCAN_WAIT_MS on a busy machine: wait for the scan itself.
      await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domain.id });
      await waitFor(
        async () =>
          ok<any>(await stack.gql(`query($id: ID!) { storageDomain(id: $id) { scanState } }`, { id: domain.id })).storageDomain
            .scanState === "DONE",
        { timeout: 600_000, interval: 500, what: "the fleet's scan" },
      );
      await domain.idle();
      ok(
        await stack.gql(`mutation($d: ID!) { setSparsifyMethod(storageDomainId: $d, method: DIRECT) { id } }`, { d: domain.id }),
      );
      const { disks } = ok<any>(await stack.gql(`{ disks(first: 500) { edges { node { id } } } }`));
      const ids = disks.edges.map((e: any) => e.node.id);
      const loadBefore = await load();
      const cpu0 = await cpuSeconds();
      const t0 = performance.now();
      ok(await stack.gql(`mutation($ids: [ID!]!) { sparsifyDisks(input: { diskIds: $ids }) { job { id } } }`, { ids }));
      const count = async (state: string) =>
        ok<any>(
          await stack.gql(`query($s: [JobState!]) { sparsifyJobs(filter: { states: $s }, first: 1) { totalCount } }`, {
            s: [state],
          }),
        ).sparsifyJobs.totalCount as number;
      await waitFor(async () => (await count("QUEUED")) + (await count("RUNNING")) === 0, {
        timeout: 3_600_000,
        interval: 250,
        what: "the fleet's jobs",
      });
      const fleetMs = performance.now() - t0;
      const cpu1 = await cpuSeconds();
      const succeeded = await count("SUCCEEDED");
      const loadAfter = await load();
      // How long one job took from its start to its end, beside the fleet's wall time.
      const [perJob] = await stack.db.query(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, max(ms) AS max FROM ` +
          `(SELECT extract(epoch FROM "finishedAt" - "startedAt") * 1000 AS ms FROM sparsify_job) j`,
      );
      // Printed now: on a shared machine the virt-sparsify samples below take minutes.
      console.log(
        `fleet of ${FLEET}: DIRECT through the gateway ${s(fleetMs)}, ${succeeded} SUCCEEDED; CPU per job: ` +
          `gateway+worker ${((cpu1.self - cpu0.self) / FLEET).toFixed(3)} s, their children ` +
          `${((cpu1.children - cpu0.children) / FLEET).toFixed(3)} s (PostgreSQL and Redis not counted); ` +
          `a job start to end p50 ${s(Number(perJob.p50))}; loadavg ${loadAfter}`,
      );
      if (SAMPLE === 0) {
        // Fleet alone: a rough ratio against an earlier per-disk virt-sparsify time, never a verdict.
        const rough = fleetMs / (VS_PER_DISK_S * 1000 * FLEET);
        console.log(
          `ROUGH ESTIMATE (virt-sparsify not run here; ${VS_PER_DISK_S} s per disk extrapolated in an earlier run, ` +
            `i.e. ${s(VS_PER_DISK_S * 1000 * FLEET)} for the fleet): ratio ~${rough.toFixed(4)}`,
        );
        if (succeeded < FLEET) failed = true;
      } else await fleetAgainstVirtSparsify();
      async function fleetAgainstVirtSparsify(): Promise<void> {
        const samples: number[] = [];
        for (let i = 0; i < SAMPLE; i++) {
          const file = path.join(work, `sample-${i}.qcow2`);
          await copy(template, file);
          samples.push(await virtSparsify(file));
          console.log(`virt-sparsify sample ${i + 1}/${SAMPLE}: ${s(samples.at(-1)!)}; loadavg ${await load()}`);
          await rm(file, { force: true });
        }
        const mean = samples.reduce((x, y) => x + y, 0) / samples.length;
        const budget = Number(stack.config.WORKER_CONCURRENCY ?? 1);
        const extrapolated = (mean * FLEET) / budget;
        const ratio = fleetMs / extrapolated;
        console.log(
          `fleet of ${FLEET} disks (1 GiB ext4 qcow2, 16 MiB deleted): DIRECT through the gateway ${s(fleetMs)} ` +
            `(${succeeded} SUCCEEDED, DIRECT budget ${stack.config.DIRECT_CONCURRENCY}; ` +
            `a job start to end p50 ${s(Number(perJob.p50))}, max ${s(Number(perJob.max))}); ` +
            `virt-sparsify ${SAMPLE} runs, mean ${s(mean)} → ${FLEET} at appliance budget ${budget}: ${s(extrapolated)}; ` +
            `ratio ${ratio.toFixed(4)} ${verdict(ratio)}; loadavg ${loadBefore} → ${loadAfter} → ${await load()}`,
        );
        if (ratio > TARGET || succeeded < FLEET) failed = true;
      }
    } finally {
      await stack.close();
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
