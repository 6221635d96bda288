/**
 * bench:direct — DIRECT against bare virt-sparsify, side by side in the same run, on identical
 * copies (`cp --sparse=always`) of one image:
 *  1. 1 GiB ext4 qcow2 with 200 MiB deleted; 2. 16 GiB ext4 qcow2 with 4 GiB of deleted data.
 *     Target: DIRECT wall time (default verification, STANDARD) ≤ 0.02 × virt-sparsify's.
 *  3. A fleet of 200 disks (1 GiB ext4 qcow2, 16 MiB deleted, copies of one) sparsified
 *     through the gateway (sparsifyDisks on a DIRECT domain, the worker's DIRECT budget), against
 *     virt-sparsify timed on BENCH_FLEET_SAMPLE (10) of them and extrapolated to 200 at the host's
 *     appliance budget (WORKER_CONCURRENCY). Target: ≤ 0.02×.
 * The machine is shared: /proc/loadavg is printed with every number.
 * BENCH_DIRECT_PARTS=1,2,3 picks parts; BENCH_FLEET (200) and BENCH_FLEET_SAMPLE (10) size part 3.
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

const load = async () => (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");
const size = async (file: string) => (await qemuImgInfo(file, "qcow2", { shared: true })).actualSize;
const copy = (from: string, to: string) => execa("cp", ["--sparse=always", from, to]);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const verdict = (ratio: number) => (ratio <= TARGET ? `OK (≤ ${TARGET})` : `ABOVE TARGET ${TARGET}`);

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

async function direct(file: string): Promise<number> {
  const t0 = performance.now();
  await runDirect({
    layers: [{ path: file, format: "qcow2" }],
    prover: directProver,
    verify: DirectVerifyMode.STANDARD,
    signal: AbortSignal.timeout(3_600_000),
  });
  return performance.now() - t0;
}

/** One image, two identical copies: virt-sparsify on one, DIRECT on the other, then the ratio. */
async function sideBySide(name: string, make: (file: string) => Promise<unknown>): Promise<void> {
  const a = path.join(work, `${name}-vs.qcow2`);
  const b = path.join(work, `${name}-direct.qcow2`);
  await make(a);
  await copy(a, b);
  const before = await size(a);
  const loadBefore = await load();
  const directMs = await direct(b);
  const vsMs = await virtSparsify(a);
  const [vsAfter, directAfter] = [await size(a), await size(b)];
  const ratio = directMs / vsMs;
  console.log(
    `${name}: virt-sparsify ${s(vsMs)} (${before} → ${vsAfter} B), DIRECT ${s(directMs)} (→ ${directAfter} B); ` +
      `ratio ${ratio.toFixed(4)} ${verdict(ratio)}; loadavg ${loadBefore} → ${await load()}`,
  );
  if (ratio > TARGET) failed = true;
  await rm(a, { force: true });
  await rm(b, { force: true });
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
    const stack = await startStack();
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
      const succeeded = await count("SUCCEEDED");
      const loadAfter = await load();
      const samples: number[] = [];
      for (let i = 0; i < SAMPLE; i++) {
        const file = path.join(work, `sample-${i}.qcow2`);
        await copy(template, file);
        samples.push(await virtSparsify(file));
        await rm(file, { force: true });
      }
      const mean = samples.reduce((x, y) => x + y, 0) / samples.length;
      const budget = Number(stack.config.WORKER_CONCURRENCY ?? 1);
      const extrapolated = (mean * FLEET) / budget;
      const ratio = fleetMs / extrapolated;
      console.log(
        `fleet of ${FLEET} disks (1 GiB ext4 qcow2, 16 MiB deleted): DIRECT through the gateway ${s(fleetMs)} ` +
          `(${succeeded} SUCCEEDED, DIRECT budget ${stack.config.DIRECT_CONCURRENCY}); ` +
          `virt-sparsify ${SAMPLE} runs, mean ${s(mean)} → ${FLEET} at appliance budget ${budget}: ${s(extrapolated)}; ` +
          `ratio ${ratio.toFixed(4)} ${verdict(ratio)}; loadavg ${loadBefore} → ${loadAfter} → ${await load()}`,
      );
      if (ratio > TARGET || succeeded < FLEET) failed = true;
    } finally {
      await stack.close();
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
