import fs from "node:fs/promises";
import path from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHostWorker, type RunningWorker } from "../../src/jobs/worker/start-worker.js";
import { ImageInspector1795976314305 } from "../../src/migrations/1795976314305-ImageInspector.js";
import { qemuImgCreate } from "../support/inspector-images.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Upgrading a gateway whose disks were scanned before the inspector: the migration blocks them
 * as NOT_INSPECTED, and the rescan every worker queues when it starts inspects and lifts them.
 */
describe.runIf(requireTools("qemu-img"))("upgrade: disks scanned before the inspector", () => {
  let stack: Stack;
  let next: RunningWorker | null = null;
  let diskId: string;
  const disk = async () =>
    ok<any>(
      await stack.gql(`query($d: ID!) { disk(id: $d) { sparsifiable blockers { code message } estimateUnavailableReason } }`, {
        d: diskId,
      }),
    ).disk;

  beforeAll(async () => {
    stack = await startStack();
    const dom = path.join(stack.root, "old");
    await fs.mkdir(dom);
    await qemuImgCreate(dom, "old.qcow2", "qcow2", "64M");
    const domain = ok<any>(
      await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "old", path: $p }) { id } }`, { p: dom }),
    ).addStorageDomain;
    ok(await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domain.id }));
    [{ id: diskId }] = await stack.db.query(`SELECT id FROM disk WHERE alias = 'old'`);
    await stack.worker!.close(true);
    // The same database as before the upgrade, then the upgrade's migration.
    const runner = stack.db.createQueryRunner();
    try {
      await new ImageInspector1795976314305().down(runner);
      await new ImageInspector1795976314305().up(runner);
    } finally {
      await runner.release();
    }
  }, 60_000);
  afterAll(async () => {
    await next?.close(true);
    await stack?.close();
  });

  it("the migration blocks every disk as NOT_INSPECTED, without an estimate", async () => {
    const d = await disk();
    expect(d.sparsifiable).toBe(false);
    expect(d.blockers.map((b: any) => b.code)).toEqual(["NOT_INSPECTED"]);
    expect(d.blockers[0].message).toMatch(/rescanned/);
    expect(d.estimateUnavailableReason).toBe("NOT_INSPECTED");
    const result = await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId });
    expect(result.errors?.[0]?.extensions?.code).toBe("DISK_NOT_SPARSIFIABLE");
  });

  it("the rescan a starting worker queues inspects the disk and lifts the block", async () => {
    next = await startHostWorker(stack.config, stack.db, pino({ level: "silent" }));
    const d = await waitFor(
      async () => {
        const now = await disk();
        return now.blockers.some((b: any) => b.code === "NOT_INSPECTED") ? null : now;
      },
      { timeout: 30_000, what: "the upgrade rescan" },
    );
    expect(d.sparsifiable).toBe(true);
    const [{ inspected }] = await stack.db.query(`SELECT count(*)::int AS inspected FROM volume WHERE "inspectedAt" IS NOT NULL`);
    expect(inspected).toBe(1);
  });
});
