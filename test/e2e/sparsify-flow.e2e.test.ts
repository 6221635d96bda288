import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  e2fsckClean,
  holdImage,
  makeExt4Image,
  makeNoFilesystemImage,
  makeSnapshot,
  sha256File,
  sha256InImage,
} from "../support/images.js";
import { maintenanceApplied } from "../support/maintenance.js";
import { requireTools } from "../support/require-tool.js";
import { deadSockdirs, newDeadSockdirs } from "../support/sockdirs.js";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";
import { followJob, JOB_FIELDS, wsClient } from "../support/ws.js";
import { BRIEF_HOLD_WAIT_MS } from "../../src/jobs/worker/sparsify-target.js";

const MiB = 1024 * 1024;

async function actual(file: string, format: string): Promise<number> {
  const { stdout } = await execa("qemu-img", ["info", "--output=json", "-f", format, "-U", file]);
  return JSON.parse(stdout)["actual-size"];
}

/**
 * The real thing: gateway, worker, PostgreSQL, Redis and virt-sparsify. At most two runs at a
 * time (each ~13 s and ~600 MB under TCG).
 */
describe.runIf(requireTools("virt-sparsify", "qemu-img", "mke2fs", "debugfs"))("sparsify end to end", () => {
  let stack: Stack;
  let client: Client;
  let dir: string;
  const diskId = new Map<string, string>();
  const kept = new Map<string, string>();
  /** The "blank" disk's job, started alongside the qcow2 run. */
  let blankRun: Promise<any[]> | undefined;

  const sparsify = async (alias: string) =>
    ok<any>(await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { ${JOB_FIELDS} } }`, { d: diskId.get(alias) }))
      .sparsifyDisk;
  const disk = async (alias: string) =>
    ok<any>(
      await stack.gql(
        `query($d: ID!) { disk(id: $d) { status sparsifiable actualSize sparsifyBlockers { code } lastSparsifyJob { id state } } }`,
        { d: diskId.get(alias) },
      ),
    ).disk;

  beforeAll(async () => {
    stack = await startStack();
    client = wsClient(stack.wsUrl, stack.token);
    dir = path.join(stack.root, "dom");
    await fs.mkdir(dir);
    const ext4 = async (alias: string, file: string, opts: Parameters<typeof makeExt4Image>[1]) =>
      kept.set(alias, (await makeExt4Image(path.join(dir, file), opts)).keepSha256);
    // Independent images are built at once; the snapshot waits for its base.
    await Promise.all([
      ext4("web", "web.qcow2", { format: "qcow2", deletedMiB: 200 }),
      ext4("db", "db.raw", { format: "raw", deletedMiB: 100 }),
      ext4("app", "app.qcow2", { format: "qcow2", deletedMiB: 0 }).then(() =>
        makeSnapshot("app.qcow2", path.join(dir, "app-snap.qcow2"), { garbageMiB: 100 }),
      ),
      makeNoFilesystemImage(path.join(dir, "blank.raw"), { kind: "random", sizeMiB: 8 }).then(() =>
        execa("truncate", ["-s", "1G", path.join(dir, "blank.raw")]),
      ),
      ext4("busy", "busy.qcow2", { format: "qcow2", deletedMiB: 10 }),
      ext4("busy-raw", "busy-raw.raw", { format: "raw", deletedMiB: 10 }),
      ext4("cancel", "cancel.qcow2", { format: "qcow2", deletedMiB: 50 }),
    ]);
    const domain = ok<any>(
      await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "dom", path: $p }) { id } }`, { p: dir }),
    ).addStorageDomain;
    ok(await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domain.id }));
    const list = ok<any>(
      await stack.gql(`{ disks(first: 50) { edges { node { id alias sparsifiable sparsifyBlockers { code } } } } }`),
    );
    for (const e of list.disks.edges) diskId.set(e.node.alias, e.node.id);
  }, 120_000);
  afterAll(async () => {
    await client?.dispose();
    await stack?.close();
  });

  it("qcow2 with 200 MiB deleted: QUEUED → RUNNING with rising progress → SUCCEEDED, bytes exact, data intact", async () => {
    const file = path.join(dir, "web.qcow2");
    const before = await actual(file, "qcow2");
    const tmpBefore = await deadSockdirs();
    const job = await sparsify("web");
    expect(job).toMatchObject({ state: "QUEUED", progress: 0, requestedBy: "test-admin" });
    expect((await disk("web")).status).toBe("LOCKED");
    // The no-filesystem disk's real run takes the worker's second slot meanwhile; its own test checks it.
    blankRun = followJob(client, (await sparsify("blank")).id).done;
    blankRun.catch(() => {});

    const followed = followJob(client, job.id);
    let late: any[] | undefined;
    const states = await new Promise<any[]>((resolve, reject) => {
      followed.done.then(resolve, reject);
      // A second client that subscribes mid-run gets the current state first.
      const timer = setInterval(() => {
        if (!late && followed.states.some((s) => s.phase === "LAUNCHING")) {
          clearInterval(timer);
          const other = wsClient(stack.wsUrl, stack.token);
          followJob(other, job.id).done.then((s) => ((late = s), other.dispose()));
        }
      }, 100);
    });

    expect(states[0].state).toMatch(/QUEUED|RUNNING/);
    const last = states.at(-1);
    expect(last.state).toBe("SUCCEEDED");
    expect(states.some((s) => s.state === "RUNNING" && s.phase === "LAUNCHING")).toBe(true);
    expect(states.some((s) => s.phase === "TRIMMING")).toBe(true);
    const progress = states.map((s) => s.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress).size).toBeGreaterThanOrEqual(4);

    const after = await actual(file, "qcow2");
    expect(last.actualSizeBefore).toBe(before);
    expect(last.actualSizeAfter).toBe(after);
    expect(last.reclaimedBytes).toBe(before - after);
    expect(last.reclaimedBytes).toBeGreaterThan(195 * MiB);
    expect(last).toMatchObject({
      outcome: "RECLAIMED",
      error: null,
      progress: 100,
      phase: "DONE",
      attempts: 1,
      host: stack.config.HOST_NAME,
    });
    expect(await sha256InImage(file, "qcow2", "/keep.bin")).toBe(kept.get("web"));
    expect(await e2fsckClean(file, "qcow2")).toBe(true);
    expect(await disk("web")).toMatchObject({
      status: "OK",
      sparsifiable: true,
      actualSize: after,
      lastSparsifyJob: { id: job.id, state: "SUCCEEDED" },
    });
    expect(await newDeadSockdirs(tmpBefore)).toEqual([]);

    await expect.poll(() => late, { timeout: 10_000 }).toBeDefined();
    expect(late![0].state).toBe("RUNNING");
    expect(late!.at(-1).state).toBe("SUCCEEDED");

    const events = ok<any>(
      await stack.gql(`query($j: ID!) { events(filter: { jobId: $j }) { edges { node { type actor } } } }`, { j: job.id }),
    );
    expect(events.events.edges.map((e: any) => e.node.type).reverse()).toEqual(["JOB_QUEUED", "JOB_STARTED", "JOB_SUCCEEDED"]);
  }, 180_000);

  it("an image with no filesystem: SUCCEEDED, NO_FILESYSTEM_FOUND (virt-sparsify's own words), nothing reclaimed", async () => {
    const blank = (await (blankRun ?? followJob(client, (await sparsify("blank")).id).done)).at(-1);
    expect(blank).toMatchObject({ state: "SUCCEEDED", outcome: "NO_FILESYSTEM_FOUND", reclaimedBytes: 0 });
    expect(blank.outcomeMessage).toMatch(/no filesystem/);
  }, 180_000);

  it("raw and snapshot leaf images, two at a time", async () => {
    const snapBase = path.join(dir, "app.qcow2");
    const baseSha = await sha256File(snapBase);
    const run = async (alias: string) => {
      const job = await sparsify(alias);
      return (await followJob(client, job.id).done).at(-1);
    };
    const [db, app] = await Promise.all([run("db"), run("app")]);
    expect(db).toMatchObject({ state: "SUCCEEDED", outcome: "RECLAIMED" });
    expect(db.reclaimedBytes).toBeGreaterThan(95 * MiB);
    expect(await sha256InImage(path.join(dir, "db.raw"), "raw", "/keep.bin")).toBe(kept.get("db"));

    // Data written and deleted after the snapshot comes back; the layer below is untouched.
    expect(app).toMatchObject({ state: "SUCCEEDED", outcome: "RECLAIMED" });
    expect(app.reclaimedBytes).toBeGreaterThan(95 * MiB);
    expect(await sha256File(snapBase)).toBe(baseSha);
  }, 240_000);

  it.each([
    ["busy", "qcow2"],
    ["busy-raw", "raw"],
  ])(
    "an image held by a running qemu (%s, %s) fails IMAGE_IN_USE and is left as it was",
    async (alias, format) => {
      const file = path.join(dir, `${alias}.${format}`);
      const sha = await sha256File(file);
      const hold = await holdImage(file, format as "raw" | "qcow2");
      try {
        const started = Date.now();
        const job = await sparsify(alias);
        const last = (await followJob(client, job.id).done).at(-1);
        expect(last).toMatchObject({ state: "FAILED", error: { code: "IMAGE_IN_USE" } });
        // A VM is not waited out like a qemu tool's brief hold (sparsify-target.ts).
        expect(Date.now() - started).toBeLessThan(BRIEF_HOLD_WAIT_MS);
        expect(last.error.message).toMatch(/in use/);
      } finally {
        await hold.release();
      }
      expect(await sha256File(file)).toBe(sha);
      expect(await disk(alias)).toMatchObject({ status: "OK", sparsifiable: true });
    },
    60_000,
  );

  it("100 concurrent requests on one disk make exactly one job; a RUNNING job can be cancelled", async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId.get("cancel") }),
      ),
    );
    const jobs = results.filter((r) => r.data?.sparsifyDisk).map((r) => r.data!.sparsifyDisk.id);
    expect(jobs).toHaveLength(1);
    for (const r of results.filter((r) => r.errors)) {
      expect(codeOf(r)).toBe("DISK_NOT_SPARSIFIABLE");
      expect(r.errors![0].extensions.blockers.map((b: any) => b.code)).toEqual(["JOB_ACTIVE"]);
    }
    const count = await stack.db.query(`SELECT count(*)::int AS n FROM sparsify_job WHERE "diskId" = $1`, [diskId.get("cancel")]);
    expect(count[0].n).toBe(1);

    const file = path.join(dir, "cancel.qcow2");
    const tmpBefore = await deadSockdirs();
    const followed = followJob(client, jobs[0]);
    await expect.poll(() => followed.states.some((s) => s.phase === "LAUNCHING"), { timeout: 30_000, interval: 100 }).toBe(true);
    const cancelled = ok<any>(
      await stack.gql(`mutation($j: ID!) { cancelSparsifyJob(id: $j) { state cancelRequestedAt } }`, { j: jobs[0] }),
    ).cancelSparsifyJob;
    expect(cancelled.cancelRequestedAt).not.toBeNull();
    const last = (await followed.done).at(-1);
    expect(last.state).toBe("CANCELLED");
    expect(await disk("cancel")).toMatchObject({ status: "OK", sparsifiable: true });
    await execa("qemu-img", ["check", "-f", "qcow2", file]);
    expect(await e2fsckClean(file, "qcow2")).toBe(true);
    expect(await newDeadSockdirs(tmpBefore)).toEqual([]);
    expect(codeOf(await stack.gql(`mutation($j: ID!) { cancelSparsifyJob(id: $j) { id } }`, { j: jobs[0] }))).toBe(
      "JOB_FINISHED",
    );
  }, 120_000);

  it("a QUEUED job is cancelled at once; a drained host takes nothing new", async () => {
    const [host] = ok<any>(await stack.gql(`{ hosts { id } }`)).hosts;
    ok(await stack.gql(`mutation($h: ID!) { setHostMaintenance(id: $h, on: true) { maintenance } }`, { h: host.id }));
    await maintenanceApplied(stack);
    const job = await sparsify("cancel");
    await new Promise((r) => setTimeout(r, 1_500));
    expect(ok<any>(await stack.gql(`query($j: ID!) { sparsifyJob(id: $j) { state } }`, { j: job.id })).sparsifyJob.state).toBe(
      "QUEUED",
    );
    const cancelled = ok<any>(
      await stack.gql(`mutation($j: ID!) { cancelSparsifyJob(id: $j) { state finishedAt } }`, { j: job.id }),
    ).cancelSparsifyJob;
    expect(cancelled.state).toBe("CANCELLED");
    expect(await disk("cancel")).toMatchObject({ status: "OK", sparsifiable: true });
    ok(await stack.gql(`mutation($h: ID!) { setHostMaintenance(id: $h, on: false) { maintenance } }`, { h: host.id }));
  }, 30_000);
});
