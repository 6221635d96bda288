import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, startStack, type Stack } from "../support/stack.js";

const MiB = 1024 * 1024;

/** History totals and /metrics over jobs seeded in SQL (sizes known exactly). */
describe("reclaim history and metrics", () => {
  let stack: Stack;
  let prod: Stack;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    for (const name of ["d1", "d2"])
      [{ id: ids[name] }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ($1, $2) RETURNING id`, [
        name,
        `${stack.root}/${name}`,
      ]);
    for (const [alias, domain, estimate] of [
      ["a", "d1", 300],
      ["b", "d1", 50],
      ["c", "d2", 0],
    ] as const) {
      [{ id: ids[alias] }] = await stack.db.query(
        `INSERT INTO disk ("storageDomainId", alias, format, "actualSize", "reclaimableEstimate") VALUES ` +
          "($1, $2, 'QCOW2', $3, $4) RETURNING id",
        [ids[domain], alias, 1000 * MiB, estimate * MiB],
      );
    }
    const job = (disk: string, domain: string, state: string, before: number, after: number, finished: string) =>
      stack.db.query(
        `INSERT INTO sparsify_job (id, "diskId", "storageDomainId", state, "actualSizeBefore", "actualSizeAfter", "startedAt",
          "finishedAt", "createdAt")
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6::timestamptz - interval '13 seconds', $6, $6::timestamptz -
           interval '20 seconds')`,
        [ids[disk], ids[domain], state, before * MiB, after * MiB, finished],
      );
    await job("a", "d1", "SUCCEEDED", 300, 100, "2026-11-01T10:00:00Z");
    await job("a", "d1", "SUCCEEDED", 150, 50, "2026-11-02T10:00:00Z");
    await job("b", "d1", "SUCCEEDED", 100, 100.25, "2026-11-02T11:00:00Z"); // grew: a snapshot leaf
    await job("c", "d2", "SUCCEEDED", 500, 100, "2026-11-09T10:00:00Z");
    await job("c", "d2", "FAILED", 500, 500, "2026-11-10T10:00:00Z");
  });
  afterAll(async () => {
    await stack?.close();
    await prod?.close();
  });

  const totals = async (vars: Record<string, unknown>) =>
    ok<any>(
      await stack.gql(
        "query($g: ReclaimGrouping, $b: TimeBucket, $s: DateTimeISO, $u: DateTimeISO) { " +
          "reclaimedTotals(groupBy: $g, bucket: $b, since: $s, until: $u) { key label bucketStart " +
          "reclaimedBytes jobs } }",
        vars,
      ),
    ).reclaimedTotals;

  it("overall, per domain and per disk, signed (a grown leaf counts negative), failed jobs excluded", async () => {
    expect(await totals({ g: "TOTAL" })).toEqual([
      { key: null, label: null, bucketStart: null, reclaimedBytes: 700 * MiB - 0.25 * MiB, jobs: 4 },
    ]);
    const byDomain = await totals({ g: "STORAGE_DOMAIN" });
    expect(byDomain.map((r: any) => [r.label, r.reclaimedBytes, r.jobs])).toEqual([
      ["d2", 400 * MiB, 1],
      ["d1", 300 * MiB - 0.25 * MiB, 3],
    ]);
    const byDisk = await totals({ g: "DISK" });
    expect(byDisk.find((r: any) => r.label === "b").reclaimedBytes).toBe(-0.25 * MiB);
  });

  it("over time, by day and week, within a range", async () => {
    const days = await totals({ g: "TOTAL", b: "DAY", s: "2026-11-01T00:00:00Z", u: "2026-11-03T00:00:00Z" });
    expect(days.map((r: any) => [r.bucketStart, r.reclaimedBytes])).toEqual([
      ["2026-11-01T00:00:00.000Z", 200 * MiB],
      ["2026-11-02T00:00:00.000Z", 100 * MiB - 0.25 * MiB],
    ]);
    // ISO weeks start on Monday: Sunday 1 November belongs to the week of 26 October.
    const weeks = await totals({ g: "TOTAL", b: "WEEK" });
    expect(weeks.map((r: any) => [r.bucketStart, r.jobs])).toEqual([
      ["2026-10-26T00:00:00.000Z", 1],
      ["2026-11-02T00:00:00.000Z", 2],
      ["2026-11-09T00:00:00.000Z", 1],
    ]);
  });

  it("StorageDomain.reclaimableTotal sums the estimates", async () => {
    const domains = ok<any>(
      await stack.gql(
        `{ storageDomains { name reclaimableTotal reclaimPolicy { minReclaimableBytes minReclaimableRatio inherited } } }`,
      ),
    ).storageDomains;
    expect(domains.find((d: any) => d.name === "d1")).toMatchObject({
      reclaimableTotal: 350 * MiB,
      reclaimPolicy: { inherited: true, minReclaimableBytes: 256 * MiB, minReclaimableRatio: 0.1 },
    });
  });

  it("a reclaim policy recomputes needsSparsify, filterable and orderable by reclaimable bytes", async () => {
    ok(
      await stack.gql(
        "mutation($d: ID!) { setReclaimPolicy(storageDomainId: $d, policy: { minReclaimableBytes: " +
          `${40 * MiB}, minReclaimableRatio: 0.04 }) { reclaimPolicy { inherited } } }`,
        { d: ids.d1 },
      ),
    );
    const list = ok<any>(
      await stack.gql(
        "{ disks(filter: { needsSparsify: true }, orderBy: { field: RECLAIMABLE, direction: DESC }) { " +
          "edges { node { alias needsSparsify reclaimableEstimate } } } }",
      ),
    );
    expect(list.disks.edges.map((e: any) => e.node.alias)).toEqual(["a", "b"]);
    ok(
      await stack.gql(
        `mutation($d: ID!) { setReclaimPolicy(storageDomainId: $d, policy: { minReclaimableBytes: ${100 * MiB} }) { id } }`,
        { d: ids.d1 },
      ),
    );
    const after = ok<any>(await stack.gql(`{ disks(filter: { needsSparsify: true }) { edges { node { alias } } } }`));
    expect(after.disks.edges.map((e: any) => e.node.alias)).toEqual(["a"]);
    const all = ok<any>(
      await stack.gql(`{ disks(orderBy: { field: RECLAIMABLE, direction: ASC }) { edges { node { alias } } } }`),
    );
    expect(all.disks.edges.map((e: any) => e.node.alias)).toEqual(["c", "b", "a"]);
  });

  it("/metrics exposes jobs, durations, bytes reclaimed, queue depth, workers and subscriptions", async () => {
    const text = await (await fetch(stack.url.replace("/graphql", "/metrics"))).text();
    expect(text).toMatch(/sparsify_jobs\{state="SUCCEEDED"\} 4/);
    expect(text).toMatch(/sparsify_jobs\{state="FAILED"\} 1/);
    expect(text).toMatch(/sparsify_job_duration_seconds_count\{state="SUCCEEDED"\} 4/);
    expect(text).toMatch(/sparsify_bytes_reclaimed_total \d+/);
    expect(text).toMatch(/sparsify_workers_online 0/);
    expect(text).toMatch(/sparsify_subscriptions_active \d+/);
    expect(text).toMatch(/sparsify_reclaimable_bytes\{storage_domain="d1"\} \d+/);
  });

  it("/metrics needs a token in production", async () => {
    prod = await startStack({ worker: false, env: { NODE_ENV: "production" } });
    const metrics = prod.url.replace("/graphql", "/metrics");
    expect((await fetch(metrics)).status).toBe(401);
    const res = await fetch(metrics, { headers: { authorization: `Bearer ${prod.token}` } });
    expect(res.status).toBe(200);
  });
});
