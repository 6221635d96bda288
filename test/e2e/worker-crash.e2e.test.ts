import fs from "node:fs/promises";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { e2fsckClean, makeExt4Image, sha256InImage } from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";
import { spawnWorker } from "../support/worker-process.js";
import { followJob, wsClient } from "../support/ws.js";

async function pgrep(pattern: string): Promise<string[]> {
  const { stdout } = await execa("pgrep", ["-f", pattern], { reject: false });
  return stdout.split("\n").filter(Boolean);
}

/**
 * The worker is another process (as in production). It is SIGKILLed mid-run: virt-sparsify dies
 * with it (pdeathsig), BullMQ's stalled-job check hands the job to a second worker, which waits
 * for the orphaned appliance to release the image and finishes the job. Never stuck, never locked.
 */
describe.runIf(requireTools("virt-sparsify", "qemu-img", "mke2fs", "debugfs"))("a worker killed mid-job", () => {
  let stack: Stack;
  let client: Client;
  const workers: ResultPromise[] = [];
  let dir: string;
  let diskId: string;
  let keep: string;

  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { STALLED_INTERVAL_MS: "2000" } });
    client = wsClient(stack.wsUrl, stack.token);
    dir = path.join(stack.root, "crash");
    await fs.mkdir(dir);
    keep = (await makeExt4Image(path.join(dir, "victim.qcow2"), { format: "qcow2", deletedMiB: 100 })).keepSha256;
    workers.push(spawnWorker(stack.config, "host-a"));
    const domain = ok<any>(
      await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "crash", path: $p }) { id } }`, { p: dir }),
    ).addStorageDomain;
    await waitFor(async () => (await stack.gql(`{ disks { totalCount } }`)).data?.disks.totalCount === 1, {
      what: "the worker's scan",
    });
    diskId = ok<any>(await stack.gql(`{ disks { edges { node { id } } } }`)).disks.edges[0].node.id;
    expect(domain.id).toBeTruthy();
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) w.kill("SIGKILL");
    await client?.dispose();
    await stack?.close();
  });

  it("is picked up by another worker and ends SUCCEEDED with the disk unlocked", async () => {
    const job = ok<any>(await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId })).sparsifyDisk;
    const followed = followJob(client, job.id);
    await expect
      .poll(() => followed.states.find((s) => s.phase === "LAUNCHING")?.host, { timeout: 60_000, interval: 100 })
      .toBe("host-a");
    const [victim] = workers;
    const file = path.join(dir, "victim.qcow2");
    victim!.kill("SIGKILL");
    await victim;
    // pdeathsig: virt-sparsify does not outlive its worker.
    await expect.poll(() => pgrep(`virt-sparsify .*${file}`), { timeout: 10_000 }).toEqual([]);

    const heir = spawnWorker(stack.config, "host-b");
    workers.push(heir);
    let heirLog = "";
    heir.stdout!.on("data", (chunk: Buffer) => (heirLog += chunk.toString()));
    const states = await followed.done;
    const last = states.at(-1);
    expect(last).toMatchObject({ state: "SUCCEEDED", outcome: "RECLAIMED", host: "host-b", attempts: 2 });
    expect(last.reclaimedBytes).toBeGreaterThan(90 * 1024 * 1024);
    const disk = ok<any>(await stack.gql(`query($d: ID!) { disk(id: $d) { status sparsifiable } }`, { d: diskId })).disk;
    expect(disk).toEqual({ status: "OK", sparsifiable: true });
    expect(await sha256InImage(file, "qcow2", "/keep.bin")).toBe(keep);
    expect(await e2fsckClean(file, "qcow2")).toBe(true);
    // The loss and the retry are in the audit trail (with the attempt) and in host-b's log.
    const events = ok<any>(
      await stack.gql(
        `query($j: ID!) { events(filter: { jobId: $j, types: ["JOB_RETRIED"] }) { edges { node { type message data } } } }`,
        { j: job.id },
      ),
    );
    expect(events.events.edges).toHaveLength(1);
    const retried = events.events.edges[0].node;
    expect(retried.data).toMatchObject({ attempt: 2, host: "host-b", previousHost: "host-a" });
    expect(retried.message).toMatch(/^Attempt 2 on host-b: attempt 1 on host-a was lost at /);
    expect(heirLog).toMatch(/sparsify job lost: attempt 1 on host-a/);
    expect(heirLog).toMatch(/sparsify job retried: attempt 2 on host-b/);
    // During host-b's appliance boot (before virt-sparsify's first step, 9/12 = 53 %) the
    // progress moved: several increasing values, not one flat 2 %.
    const booting = states
      .filter((st) => st.host === "host-b" && st.attempts === 2 && st.phase === "LAUNCHING" && st.progress < 53)
      .map((st) => st.progress);
    expect(new Set(booting).size).toBeGreaterThanOrEqual(3);
    expect(booting).toEqual([...booting].sort((a, b) => a - b));
  }, 180_000);
});
