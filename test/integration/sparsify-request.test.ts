import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, startStack, type Stack } from "../support/stack.js";

/** What sparsifyDisk returns and leaves behind, without a worker (the job stays QUEUED). */
describe("sparsifyDisk request", () => {
  let stack: Stack;
  let diskId: string;
  let domainId: string;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
    [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('q', $1) RETURNING id`, [
      `${stack.root}/q`,
    ]);
    [{ id: diskId }] = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable, "actualSize") VALUES ($1, ` +
        "'q1', 'QCOW2', true, 12345) RETURNING id",
      [domainId],
    );
  });
  afterAll(() => stack?.close());

  it("returns the complete QUEUED job and locks the disk with JOB_ACTIVE, as stored", async () => {
    const job = ok<any>(
      await stack.gql(
        "mutation($d: ID!) { sparsifyDisk(diskId: $d) { id state phase progress attempts trigger " +
          "requestedBy actualSizeBefore createdAt disk { status sparsifiable sparsifyBlockers { code } } } " +
          "}",
        { d: diskId },
      ),
    ).sparsifyDisk;
    expect(job).toMatchObject({
      state: "QUEUED",
      phase: "QUEUED",
      progress: 0,
      attempts: 0,
      trigger: "USER",
      requestedBy: "test-admin",
      actualSizeBefore: 12345,
      disk: { status: "LOCKED", sparsifiable: false, sparsifyBlockers: [{ code: "JOB_ACTIVE" }] },
    });
    const stored = ok<any>(
      await stack.gql(`query($j: ID!) { sparsifyJob(id: $j) { createdAt state } }`, { j: job.id }),
    ).sparsifyJob;
    expect(stored).toEqual({ createdAt: job.createdAt, state: "QUEUED" });
  });

  it("queues the job with the domain's method, so the worker picks its host budget without reading the domain", async () => {
    await stack.db.query(`UPDATE storage_domain SET "sparsifyMethod" = 'DIRECT' WHERE id = $1`, [domainId]);
    const [{ id: other }] = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable, "actualSize") VALUES ($1, 'q2', 'QCOW2', true, 1) RETURNING id`,
      [domainId],
    );
    const job = ok<any>(await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: other })).sparsifyDisk;
    const queued = await stack.gateway.services.queues.get(domainId).getJob(job.id);
    expect(queued!.data).toEqual({ jobId: job.id, diskId: other, storageDomainId: domainId, sparsifyMethod: "DIRECT" });
  });
});
