import fs from "node:fs/promises";
import path from "node:path";
import { Queue } from "bullmq";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "../../src/jobs/queue/redis.js";
import { Lane, laneQueueName } from "../../src/jobs/queue/job-catalog.js";
import { waitForOpsIdle } from "../support/queue-idle.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";

const DEFER_MS = 500;

/**
 * A scan that cannot take its domain's lease (another scan holds it) defers: the job goes back to
 * the queue with a delay, and meanwhile it holds no transaction and no pooled connection waiting
 * on a lock. Once the lease is free, the same requested scan runs to the end.
 */
describe.runIf(requireTools("qemu-img"))("a scan of a domain whose lease is held", () => {
  let stack: Stack;
  let domainId: string;
  let queue: Queue;
  let connection: ReturnType<typeof createRedis>;

  /**
   * Sessions of this database (other than the asking one) idle in a transaction, waiting on a lock,
   * or in a transaction open for seconds. (Not less: on a loaded CI machine one of the stack's own
   * short transactions, a heartbeat say, can take a few hundred milliseconds; a deferral that held a
   * transaction open would show as idle in it.)
   */
  const parked = () =>
    stack.db.query(
      `SELECT pid, state, wait_event_type, left(query, 120) AS query FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND (state LIKE 'idle in transaction%' OR wait_event_type = 'Lock'
               OR xact_start < clock_timestamp() - interval '3 seconds')`,
    );
  const scanState = async () =>
    (await stack.db.query(`SELECT "scanState" FROM storage_domain WHERE id = $1`, [domainId]))[0].scanState as string;

  beforeAll(async () => {
    stack = await startStack({ env: { SCAN_DEFER_MS: String(DEFER_MS) } });
    const dir = path.join(stack.root, "dom");
    await fs.mkdir(dir);
    await execa("qemu-img", ["create", "-q", "-f", "qcow2", path.join(dir, "first.qcow2"), "16M"]);
    domainId = ok<any>(
      await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "dom", path: $p }) { id } }`, { p: dir }),
    ).addStorageDomain.id;
    // The worker's own first scan (and the estimate after it) must be over before the lease is taken.
    await waitForOpsIdle(stack, domainId);
    await execa("qemu-img", ["create", "-q", "-f", "qcow2", path.join(dir, "second.qcow2"), "16M"]);
    connection = createRedis(stack.config.REDIS_URL, "test-scan-deferral");
    queue = new Queue(laneQueueName(domainId, Lane.OPS), { connection, prefix: stack.config.QUEUE_PREFIX });
  }, 120_000);
  afterAll(async () => {
    await queue?.close();
    connection?.disconnect();
    await stack?.close();
  });

  it("defers without parking a connection, then completes once the lease is released", async () => {
    // Another scan's lease, far from expiring.
    await stack.db.query(
      `UPDATE storage_domain SET "scanLeaseOwner" = 'other-host:held', "scanLeaseUntil" = now() + interval '10 minutes' WHERE id = $1`,
      [domainId],
    );
    const requested = stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domainId });
    requested.catch(() => undefined); // awaited below; a failed check above must not leave it unhandled

    // Re-queued with a delay, more than once: it took the job, found the lease held and gave it back.
    const deferred = await waitFor(
      async () => (await queue.getDelayed()).find((j) => j.data.reason === "requested" && j.data.storageDomainId === domainId),
      { timeout: 20_000, interval: 50, what: "the requested scan to be deferred" },
    );
    const started = Date.now();
    while (Date.now() - started < 4 * DEFER_MS) {
      expect(await parked()).toEqual([]);
      expect(await scanState()).toBe("QUEUED");
      await new Promise((r) => setTimeout(r, 50));
    }
    // Still the same job, still waiting its turn (moved back to delayed after each try).
    expect(["delayed", "waiting", "active"]).toContain(await queue.getJobState(deferred!.id!));
    expect((await stack.db.query(`SELECT count(*)::int AS n FROM volume WHERE "storageDomainId" = $1`, [domainId]))[0].n).toBe(1);

    await stack.db.query(`UPDATE storage_domain SET "scanLeaseOwner" = NULL, "scanLeaseUntil" = NULL WHERE id = $1`, [domainId]);
    expect(ok<any>(await requested).scanStorageDomain.scanState).toBe("DONE");
    const volumes = await stack.db.query(`SELECT "relPath" FROM volume WHERE "storageDomainId" = $1 ORDER BY "relPath"`, [
      domainId,
    ]);
    expect(volumes.map((v: any) => v.relPath)).toEqual(["first.qcow2", "second.qcow2"]);
    // The job ends just after it reports DONE.
    await waitFor(async () => (await queue.getJobState(deferred!.id!)) === "completed", { what: "the scan job to complete" });
    expect(await parked()).toEqual([]);
  }, 60_000);
});
