import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lane, laneQueueName } from "../../src/jobs/queue/job-catalog.js";
import { schedulerId } from "../../src/services/schedule.service.js";
import { codeOf, ok, REDIS_URL, startStack, type Stack } from "../support/stack.js";
import { lockWaiters } from "../support/lock-waiters.js";

/** removeStorageDomain leaves nothing behind: no schedule, no job QUEUED for a domain that is gone. */
describe("removing a storage domain", () => {
  let stack: Stack;
  let n = 0;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
  });
  afterAll(() => stack?.close());

  /** A domain with one sparsifiable disk, as rows (no worker: a queued job stays QUEUED). */
  async function domainWithDisk(): Promise<{ domainId: string; diskId: string }> {
    n++;
    const [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ($1, $2) RETURNING id`, [
      `race${n}`,
      `${stack.root}/race${n}`,
    ]);
    const [{ id: diskId }] = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable, "actualSize") VALUES ($1, 'd', 'QCOW2', true, 1) RETURNING id`,
      [domainId],
    );
    return { domainId, diskId };
  }

  it("removes the domain's schedule: the row and the BullMQ job scheduler, and the reconciler does not restore it", async () => {
    const { domainId } = await domainWithDisk();
    ok(
      await stack.gql(`mutation($d: ID!) { setSparsifySchedule(storageDomainId: $d, schedule: { cron: "0 3 * * *" }) { id } }`, {
        d: domainId,
      }),
    );
    const queue = new Queue(laneQueueName(domainId, Lane.OPS), {
      connection: { url: REDIS_URL } as never,
      prefix: stack.config.QUEUE_PREFIX,
    });
    try {
      expect(await queue.getJobScheduler(schedulerId(domainId))).toBeTruthy();
      expect(
        ok<any>(await stack.gql(`mutation($d: ID!) { removeStorageDomain(id: $d) }`, { d: domainId })).removeStorageDomain,
      ).toBe(true);
      expect(await stack.db.query(`SELECT id FROM sparsify_schedule WHERE "storageDomainId" = $1`, [domainId])).toEqual([]);
      expect(await queue.getJobScheduler(schedulerId(domainId))).toBeFalsy();
      expect(await stack.gateway.services.schedules.ensureInstalled()).toBe(0);
      expect(await queue.getJobScheduler(schedulerId(domainId))).toBeFalsy();
    } finally {
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    }
  });

  it("sparsifyDisk takes the domain row before the disk row, the order removeStorageDomain locks in", async () => {
    const { domainId, diskId } = await domainWithDisk();
    const removal = stack.db.createQueryRunner();
    await removal.connect();
    await removal.startTransaction();
    await removal.query(`SELECT id FROM storage_domain WHERE id = $1 FOR UPDATE`, [domainId]);
    const request = stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId });
    await expect.poll(() => lockWaiters(stack.db)).toBe(1);
    // The request waits for the domain row and holds nothing on the disk yet.
    const probe = stack.db.createQueryRunner();
    await probe.connect();
    await probe.startTransaction();
    await expect(probe.query(`SELECT id FROM disk WHERE id = $1 FOR UPDATE NOWAIT`, [diskId])).resolves.toHaveLength(1);
    await probe.rollbackTransaction();
    await probe.release();
    await removal.rollbackTransaction();
    await removal.release();
    expect(ok<any>(await request).sparsifyDisk.id).toBeTruthy();
  });

  it("sparsifyDisk racing removeStorageDomain never leaves a job QUEUED for a removed domain", async () => {
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const { domainId, diskId } = await domainWithDisk();
      const [sparsify, remove] = await Promise.all([
        stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId }),
        stack.gql(`mutation($d: ID!) { removeStorageDomain(id: $d) }`, { d: domainId }),
      ]);
      const key = `${codeOf(sparsify) ?? "queued"}/${codeOf(remove) ?? "removed"}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      // Either the job is queued and the removal refused, or the domain went and the request failed.
      expect(["queued/DOMAIN_BUSY", "NOT_FOUND/removed"]).toContain(key);
    }
    const orphans = await stack.db.query(
      `SELECT j.id FROM sparsify_job j LEFT JOIN storage_domain d ON d.id = j."storageDomainId" WHERE ` +
        "d.id IS NULL AND j.state IN ('QUEUED', 'RUNNING')",
    );
    expect(orphans, JSON.stringify([...outcomes])).toEqual([]);
  });
});
