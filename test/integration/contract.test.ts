import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDataSource } from "../../src/data-source.js";
import { JobErrorCode } from "../../src/domain/job-error-code.js";
import { migrations } from "../../src/migrations/index.js";
import { createTestDatabase, ok, startStack, type Stack } from "../support/stack.js";

/** Issue 15, part 1: the names as filed, and every job/estimate string the API returns is an enum value. */
describe("contract: names and enums", () => {
  let stack: Stack;
  let domainId: string;
  let diskId: string;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('c', $1) RETURNING id`, [
      `${stack.root}/c`,
    ]);
    const blockers = JSON.stringify([{ code: "PREALLOCATED", message: "preallocated" }]);
    const warnings = JSON.stringify([{ code: "HAS_SNAPSHOTS", message: "snapshots" }]);
    [{ id: diskId }] = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, blockers, warnings, "reclaimableEstimate", "estimateMethod", "estimateDetail")
       VALUES ($1, 'd', 'QCOW2', $2, $3, 1048576, 'FREE_BLOCKS', 'ext4: free blocks ∩ qemu-img map') RETURNING id`,
      [domainId, blockers, warnings],
    );
  });
  afterAll(() => stack?.close());

  const insertJob = async (fields: Record<string, string>) => {
    const id = randomUUID();
    const cols = Object.keys(fields).map((k) => `"${k}"`);
    await stack.db.query(
      `INSERT INTO sparsify_job (id, "diskId", "storageDomainId", state, "finishedAt", ${cols.join(", ")})
       VALUES ($1, $2, $3, 'FAILED', now(), ${cols.map((_, i) => `$${i + 4}`).join(", ")})`,
      [id, diskId, domainId, ...Object.values(fields)],
    );
    return id;
  };
  const JOB = `query($id: ID!) { sparsifyJob(id: $id) { phase outcome trigger error { code message } } }`;

  it("Disk.sparsifyBlockers / sparsifyWarnings are SparsifyIssue lists; the old names still answer the same", async () => {
    const { disk } = ok<any>(
      await stack.gql(
        "query($id: ID!) { disk(id: $id) { sparsifyBlockers { __typename code message } sparsifyWarnings " +
          "{ code } blockers { code } warnings { code } } }",
        { id: diskId },
      ),
    );
    expect(disk.sparsifyBlockers).toEqual([{ __typename: "SparsifyIssue", code: "PREALLOCATED", message: "preallocated" }]);
    expect(disk.sparsifyWarnings).toEqual([{ code: "HAS_SNAPSHOTS" }]);
    expect(disk.blockers).toEqual([{ code: "PREALLOCATED" }]);
    expect(disk.warnings).toEqual([{ code: "HAS_SNAPSHOTS" }]);
  });

  it("estimateMethod is an enum value and the label moved to estimateDetail", async () => {
    const { disk } = ok<any>(
      await stack.gql(`query($id: ID!) { disk(id: $id) { estimateMethod estimateDetail estimateUnavailableReason } }`, {
        id: diskId,
      }),
    );
    expect(disk).toEqual({
      estimateMethod: "FREE_BLOCKS",
      estimateDetail: "ext4: free blocks ∩ qemu-img map",
      estimateUnavailableReason: null,
    });
  });

  it("phase, outcome, trigger and error code come back as enum values; a filter can use them as literals", async () => {
    const id = await insertJob({ phase: "TRIMMING", trigger: "SCHEDULE", errorCode: "APPLIANCE_FAILED", errorMessage: "no kvm" });
    expect(ok<any>(await stack.gql(JOB, { id })).sparsifyJob).toEqual({
      phase: "TRIMMING",
      outcome: null,
      trigger: "SCHEDULE",
      error: { code: "APPLIANCE_FAILED", message: "no kvm" },
    });
  });

  it.each([
    { type: "SparsifyJob", field: "phase", enumName: "SparsifyPhase" },
    { type: "SparsifyJob", field: "outcome", enumName: "SparsifyOutcome" },
    { type: "SparsifyJob", field: "trigger", enumName: "JobTrigger" },
    { type: "JobError", field: "code", enumName: "JobErrorCode" },
    { type: "Disk", field: "estimateMethod", enumName: "EstimateMethod" },
    { type: "Disk", field: "estimateUnavailableReason", enumName: "EstimateUnavailableReason" },
  ])("$type.$field is the enum $enumName", async ({ type, field, enumName }) => {
    const t = ok<any>(
      await stack.gql(`query($t: String!) { __type(name: $t) { fields { name type { kind name ofType { kind name } } } } }`, {
        t: type,
      }),
    ).__type;
    const f = t.fields.find((x: any) => x.name === field);
    const named = f.type.kind === "NON_NULL" ? f.type.ofType : f.type;
    expect(named).toEqual({ kind: "ENUM", name: enumName, ...(named.ofType !== undefined ? { ofType: null } : {}) });
  });

  it.each([
    {
      list: "sparsifyJobs",
      query:
        "query($first: Int, $after: String, $last: Int, $before: String) { sparsifyJobs(first: $first, " +
        "after: $after, last: $last, before: $before) { pageInfo { hasNextPage hasPreviousPage " +
        "startCursor endCursor } edges { node { id } } } }",
    },
    {
      list: "events",
      query:
        "query($first: Int, $after: String, $last: Int, $before: String) { events(first: $first, after: " +
        "$after, last: $last, before: $before) { pageInfo { hasNextPage hasPreviousPage startCursor " +
        "endCursor } edges { node { id } } } }",
    },
  ])("$list pages backwards with last/before as it pages forwards", async ({ list, query }) => {
    for (let i = 0; i < 23; i++) await insertJob({ errorCode: "TIMED_OUT" });
    await stack.db.query(
      `INSERT INTO event (type, actor, message) SELECT 'TEST', 't', 'e' || i FROM generate_series(1, 23) AS i`,
    );
    const forwards: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = ok<any>(await stack.gql(query, { first: 5, after }))[list];
      forwards.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const backwards: string[][] = [];
    let before: string | null = null;
    for (;;) {
      const page: any = ok<any>(await stack.gql(query, { last: 5, before }))[list];
      backwards.unshift(page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(forwards.length).toBeGreaterThanOrEqual(23);
    expect(backwards.flat()).toEqual(forwards);
  });

  it("JobErrorCode in the API is exactly the worker's vocabulary", async () => {
    const values = ok<any>(await stack.gql(`{ __type(name: "JobErrorCode") { enumValues { name } } }`)).__type.enumValues.map(
      (v: any) => v.name,
    );
    expect(values.sort()).toEqual(Object.values(JobErrorCode).sort());
  });

  it("a code this version does not know (a newer worker wrote it) reads as INTERNAL_ERROR instead of failing the query", async () => {
    const id = await insertJob({ errorCode: "FROM_THE_FUTURE", errorMessage: "later" });
    expect(ok<any>(await stack.gql(JOB, { id })).sparsifyJob.error).toEqual({
      code: JobErrorCode.INTERNAL_ERROR,
      message: "later",
    });
  });
});

describe("contract: the migration maps what older versions stored onto the enums", () => {
  it("estimate labels move to estimateDetail; unknown codes, phases, triggers, outcomes and reasons are mapped", async () => {
    const database = await createTestDatabase();
    const before = migrations.findIndex((m) => m.name.startsWith("ContractEnums"));
    const old = createDataSource(database.url);
    // Run every migration up to (not including) the enum mapping, as an older gateway would have.
    Object.assign(old.options, { migrations: migrations.slice(0, before) });
    await old.initialize();
    try {
      await old.runMigrations();
      const [{ id: sd }] = await old.query(`INSERT INTO storage_domain (name, path) VALUES ('m', '/m') RETURNING id`);
      const [{ id: d1 }] = await old.query(
        `INSERT INTO disk ("storageDomainId", alias, format, "estimateMethod") VALUES ($1, 'a', 'RAW', ` +
          "'ext4: free blocks ∩ qemu-img map') RETURNING id",
        [sd],
      );
      const [{ id: d2 }] = await old.query(
        `INSERT INTO disk ("storageDomainId", alias, format, "estimateUnavailableReason") VALUES ($1, 'b', 'RAW', 'WEIRD') RETURNING id`,
        [sd],
      );
      const job = randomUUID();
      await old.query(
        `INSERT INTO sparsify_job (id, "diskId", "storageDomainId", state, phase, trigger, outcome, ` +
          `"errorCode", "errorMessage") VALUES ($1, $2, $3, 'FAILED', 'BOOTING', 'CRON', 'MEH', 'OOPS', ` +
          "'it broke')",
        [job, d1, sd],
      );
      await old.destroy();

      const now = createDataSource(database.url);
      // Up to the enum mapping itself: later migrations (the image inspector's) clear estimates.
      Object.assign(now.options, { migrations: migrations.slice(0, before + 1) });
      await now.initialize();
      try {
        await now.runMigrations();
        const [a] = await now.query(`SELECT "estimateMethod", "estimateDetail" FROM disk WHERE id = $1`, [d1]);
        expect(a).toEqual({ estimateMethod: "FREE_BLOCKS", estimateDetail: "ext4: free blocks ∩ qemu-img map" });
        const [b] = await now.query(`SELECT "estimateUnavailableReason" FROM disk WHERE id = $1`, [d2]);
        expect(b.estimateUnavailableReason).toBe("UNREADABLE");
        const [j] = await now.query(
          `SELECT phase, trigger, outcome, "errorCode", "errorMessage" FROM sparsify_job WHERE id = $1`,
          [job],
        );
        expect(j).toEqual({
          phase: "QUEUED",
          trigger: "USER",
          outcome: null,
          errorCode: "INTERNAL_ERROR",
          errorMessage: "OOPS: it broke",
        });
      } finally {
        await now.destroy();
      }
    } finally {
      if (old.isInitialized) await old.destroy();
      await database.drop();
    }
  });
});
