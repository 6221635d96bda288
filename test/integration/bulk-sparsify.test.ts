import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/domain/roles.js";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";
import { wsClient } from "../support/ws.js";

const RESULT = `diskId job { id state disk { id status } } sparsifyBlockers { code message } error { code message }`;
const MUTATION = `mutation($input: SparsifyDisksInput!) { sparsifyDisks(input: $input) { ${RESULT} } }`;

/** sparsifyDisks without a worker: what it locks, queues and reports, against real PostgreSQL and BullMQ. */
describe("sparsifyDisks (bulk request)", () => {
  let stack: Stack;
  let domainId: string;

  const disks = async (n: number, prefix: string, extra = "") => {
    const rows = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable, "actualSize"${extra ? ", allocation" : ""})
       SELECT $1, $2 || lpad(g::text, 4, '0'), 'QCOW2', true, 1000 + g${extra ? `, '${extra}'` : ""}
         FROM generate_series(1, $3) g RETURNING id`,
      [domainId, prefix, n],
    );
    return rows.map((r: { id: string }) => r.id) as string[];
  };
  const queued = async () =>
    (await stack.gateway.services.queues.get(domainId).getJobs(["wait", "delayed", "prioritized"])).map((j) => j.id).sort();

  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { BULK_SPARSIFY_MAX_DISKS: "25" } });
    [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('bulk', $1) RETURNING id`, [
      `${stack.root}/bulk`,
    ]);
  });
  afterAll(() => stack?.close());

  it("answers every id in order: jobs for the accepted, reasons for the blocked, errors for unknown or malformed ids", async () => {
    const ok3 = await disks(3, "ok-");
    const [fat] = await disks(1, "fat-", "PREALLOCATED");
    const unknown = randomUUID();
    const diskIds = [ok3[0], fat, unknown, "not-an-id", ok3[1], ok3[0]!.toUpperCase(), ok3[2]];
    const results = ok<any>(await stack.gql(MUTATION, { input: { diskIds } })).sparsifyDisks;
    expect(results.map((r: any) => r.diskId)).toEqual([ok3[0], fat, unknown, "not-an-id", ok3[1], ok3[2]]);
    for (const i of [0, 4, 5])
      expect(results[i]).toMatchObject({
        job: { state: "QUEUED", disk: { status: "LOCKED" } },
        sparsifyBlockers: null,
        error: null,
      });
    expect(results[1]).toMatchObject({ job: null, error: null, sparsifyBlockers: [{ code: "PREALLOCATED" }] });
    expect(results[2]).toMatchObject({ job: null, sparsifyBlockers: null, error: { code: "NOT_FOUND" } });
    expect(results[3]).toMatchObject({ job: null, error: { code: "BAD_USER_INPUT" } });
    // Truth in PostgreSQL, carried by BullMQ with the same ids; one audit event per job.
    const jobIds = [0, 4, 5].map((i) => results[i].job.id).sort();
    expect(await queued()).toEqual(jobIds);
    const rows = await stack.db.query(`SELECT id FROM sparsify_job WHERE state = 'QUEUED' AND id = ANY($1::uuid[])`, [jobIds]);
    expect(rows).toHaveLength(3);
    const events = await stack.db.query(`SELECT "jobId" FROM event WHERE type = 'JOB_QUEUED' AND "jobId" = ANY($1::uuid[])`, [
      jobIds,
    ]);
    expect(events).toHaveLength(3);
    const [{ status }] = await stack.db.query(`SELECT status FROM disk WHERE id = $1`, [fat]);
    expect(status).toBe("OK");

    // Asked again, they are blocked by their active jobs: reported, no second job.
    const again = ok<any>(await stack.gql(MUTATION, { input: { diskIds: ok3 } })).sparsifyDisks;
    expect(again.map((r: any) => r.sparsifyBlockers?.[0]?.code)).toEqual(["JOB_ACTIVE", "JOB_ACTIVE", "JOB_ACTIVE"]);
    expect(await queued()).toEqual(jobIds);
  });

  it("takes a filter instead of ids, and refuses with TOO_MANY_DISKS (locking nothing) above the cap", async () => {
    const web = await disks(4, "web-");
    const results = ok<any>(
      await stack.gql(MUTATION, { input: { filter: { storageDomainId: domainId, text: "web-" } } }),
    ).sparsifyDisks;
    expect(results.map((r: any) => r.diskId).sort()).toEqual([...web].sort());
    expect(results.every((r: any) => r.job?.state === "QUEUED")).toBe(true);

    const many = await disks(26, "many-");
    const byFilter = await stack.gql(MUTATION, { input: { filter: { text: "many-" } } });
    expect(codeOf(byFilter)).toBe("TOO_MANY_DISKS");
    expect(byFilter.errors![0].extensions).toMatchObject({ count: 26, max: 25 });
    expect(codeOf(await stack.gql(MUTATION, { input: { diskIds: many } }))).toBe("TOO_MANY_DISKS");
    const [{ locked }] = await stack.db.query(
      `SELECT count(*)::int AS locked FROM disk WHERE alias LIKE 'many-%' AND status = 'LOCKED'`,
    );
    expect(locked).toBe(0);
  });

  it("needs exactly one of diskIds and filter, and the operator role", async () => {
    expect(codeOf(await stack.gql(MUTATION, { input: {} }))).toBe("BAD_USER_INPUT");
    expect(codeOf(await stack.gql(MUTATION, { input: { diskIds: [], filter: {} } }))).toBe("BAD_USER_INPUT");
    const viewer = await stack.tokenFor(Role.VIEWER);
    expect(codeOf(await stack.gql(MUTATION, { input: { diskIds: [randomUUID()] } }, { authorization: `Bearer ${viewer}` }))).toBe(
      "FORBIDDEN",
    );
  });

  it("concurrent bulk requests over the same disks make exactly one job per disk, without deadlocks", async () => {
    const ids = await disks(20, "race-");
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => stack.gql(MUTATION, { input: { diskIds: i % 2 ? ids : [...ids].reverse() } })),
    );
    for (const a of answers) expect(a.errors).toBeUndefined();
    const jobs = answers.flatMap((a) => a.data!.sparsifyDisks.filter((r: any) => r.job).map((r: any) => r.diskId));
    expect(jobs.sort()).toEqual([...ids].sort());
  });

  it("every accepted job is announced QUEUED on sparsifyJobEvents (one pipelined publish for the lot)", async () => {
    const [probe, ...ids] = await disks(13, "announce-");
    const client = wsClient(stack.wsUrl, stack.token);
    const seen = new Map<string, string>();
    const off = client.subscribe(
      { query: `subscription { sparsifyJobEvents { id state disk { id } } }` },
      {
        next: (v: any) => v.data && seen.set(v.data.sparsifyJobEvents.disk.id, v.data.sparsifyJobEvents.state),
        error: () => {},
        complete: () => {},
      },
    );
    try {
      // The subscription is live once a first request's event arrives.
      await waitFor(
        async () => (ok<any>(await stack.gql(MUTATION, { input: { diskIds: [probe] } })) && seen.has(probe!)) || undefined,
        { timeout: 10_000, what: "the subscription" },
      );
      seen.clear();
      const results = ok<any>(await stack.gql(MUTATION, { input: { diskIds: ids } })).sparsifyDisks;
      expect(results.filter((r: any) => r.job)).toHaveLength(ids.length);
      await waitFor(async () => (seen.size === ids.length ? true : undefined), {
        timeout: 10_000,
        what: "a QUEUED event per job",
      });
      expect(Object.fromEntries([...seen].sort())).toEqual(Object.fromEntries([...ids].sort().map((id) => [id, "QUEUED"])));
    } finally {
      off();
      await client.dispose();
    }
  });

  it("a queue that refuses the jobs ends them FAILED QUEUE_UNAVAILABLE and releases the disks", async () => {
    const ids = await disks(2, "noqueue-");
    const queues = stack.gateway.services.queues;
    const original = queues.enqueueBulk.bind(queues);
    queues.enqueueBulk = async () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379"));
    try {
      const results = ok<any>(
        await stack.gql(
          `mutation($input: SparsifyDisksInput!) { sparsifyDisks(input: $input) { diskId job { state error { code } disk { status } } } }`,
          { input: { diskIds: ids } },
        ),
      ).sparsifyDisks;
      for (const r of results)
        expect(r.job).toEqual({ state: "FAILED", error: { code: "QUEUE_UNAVAILABLE" }, disk: { status: "OK" } });
    } finally {
      queues.enqueueBulk = original;
    }
  });
});
