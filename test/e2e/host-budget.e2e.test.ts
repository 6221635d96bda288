import { readdir, readFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHostWorker, type RunningWorker } from "../../src/jobs/worker/start-worker.js";
import { makeExt4Image } from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";

/**
 * virt-sparsify runs on images under `root` (this test's own), counted by image: a run shows as a
 * parent and a forked child with the same command line.
 */
async function virtSparsifyRuns(root: string): Promise<number> {
  const images = new Set<string>();
  for (const pid of await readdir("/proc").catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    const argv = cmd.split("\0");
    const image = argv.find((a) => a.startsWith(root));
    if (argv.some((a) => path.basename(a) === "virt-sparsify") && image) images.add(image);
  }
  return images.size;
}

/**
 * One host, three storage domains, two worker processes of that host, WORKER_CONCURRENCY=1: the
 * budget is per host, so never two appliances at once; scans have a lane of their own.
 */
describe.runIf(requireTools("virt-sparsify", "qemu-img", "mke2fs", "debugfs"))("one slot budget per host", () => {
  let stack: Stack;
  let second: RunningWorker;
  const domains: { id: string; disk: string }[] = [];

  beforeAll(async () => {
    stack = await startStack({ env: { WORKER_CONCURRENCY: "1", SLOT_RETRY_MS: "300" } });
    // Independent setup in parallel: the second worker process of the same host (same HOST_NAME,
    // its own Redis connections), and per domain its image, the domain and its scan.
    // Assigned as soon as it starts, so afterAll closes it even if a domain's setup fails.
    const worker = startHostWorker(stack.config, stack.db, pino({ level: "silent" })).then((w) => (second = w));
    const made = Promise.all(
      ["d1", "d2", "d3"].map(async (name) => {
        const dir = path.join(stack.root, name);
        await mkdir(dir);
        await makeExt4Image(path.join(dir, `${name}.qcow2`), { format: "qcow2", deletedMiB: 20 });
        const { addStorageDomain } = ok<any>(
          await stack.gql(`mutation($n: String!, $p: String!) { addStorageDomain(input: { name: $n, path: $p }) { id } }`, {
            n: name,
            p: dir,
          }),
        );
        ok(await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: addStorageDomain.id }));
        const { disks } = ok<any>(
          await stack.gql(`query($d: ID!) { disks(filter: { storageDomainId: $d }) { edges { node { id } } } }`, {
            d: addStorageDomain.id,
          }),
        );
        return { id: addStorageDomain.id as string, disk: disks.edges[0].node.id as string };
      }),
    );
    domains.push(...(await Promise.all([worker, made]))[1]);
  }, 120_000);

  afterAll(async () => {
    await second?.close(true);
    await stack?.close();
  });

  it("runs the three domains' jobs one at a time (process table sampled), and a scan during a run takes under 5 s", async () => {
    const jobs: string[] = [];
    for (const d of domains)
      jobs.push(ok<any>(await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: d.disk })).sparsifyDisk.id);
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, await virtSparsifyRuns(stack.root));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const states = async () =>
      (ok<any>(await stack.gql(`{ sparsifyJobs(first: 10) { edges { node { id state } } } }`)).sparsifyJobs.edges as any[]).map(
        (e) => e.node.state,
      );

    // While the first run holds the host's only slot, a scan is not queued behind it.
    await waitFor(async () => (await virtSparsifyRuns(stack.root)) === 1, { timeout: 60_000, what: "a virt-sparsify run" });
    const started = performance.now();
    const scan = ok<any>(
      await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domains[2]!.id }),
    );
    const scanMs = performance.now() - started;
    expect(scan.scanStorageDomain.scanState).toBe("DONE");
    expect(scanMs).toBeLessThan(5_000);

    await waitFor(async () => (await states()).every((s) => s === "SUCCEEDED" || s === "FAILED"), {
      timeout: 240_000,
      interval: 500,
      what: "all jobs to end",
    });
    sampling = false;
    await sampler;
    expect(await states()).toEqual(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
    expect(most).toBe(1);
  }, 300_000);
});
