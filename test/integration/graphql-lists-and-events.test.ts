import { createPubSub } from "@graphql-yoga/subscription";
import { parse, subscribe, type ExecutionResult } from "graphql";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../src/domain/roles.js";
import { buildGatewaySchema } from "../../src/server/schema.js";
import { countStatements } from "../../bench/statement-counter.js";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";
import { wsClient } from "../support/ws.js";

// Before any connection: counts every statement this process sends.
const statements = countStatements();

describe("subscriptions check the role in subscribe, before any database work", () => {
  const ID = "00000000-0000-4000-8000-000000000000";
  const OPERATIONS: Record<string, string> = {
    sparsifyJob: `subscription { sparsifyJob(id: "${ID}") { id } }`,
    sparsifyJobEvents: "subscription { sparsifyJobEvents { id } }",
  };

  it.each([
    ["no principal", "UNAUTHENTICATED", null],
    ["a principal without a known role", "FORBIDDEN", { tokenId: ID, name: "odd", role: "nobody" as Role, expiresAt: null }],
  ])("%s: every subscription field is refused with %s and touches no service", async (_name, code, principal) => {
    const schema = await buildGatewaySchema(createPubSub());
    const fields = Object.keys(schema.getSubscriptionType()!.getFields()).sort();
    expect(fields).toEqual(Object.keys(OPERATIONS).sort());
    const touched: string[] = [];
    const trap = (what: string) => new Proxy({}, { get: (_t, key) => void touched.push(`${what}.${String(key)}`) });
    for (const field of fields) {
      const result = (await subscribe({
        schema,
        document: parse(OPERATIONS[field]!),
        contextValue: { principal, actor: "x", services: trap("services"), loaders: trap("loaders") },
      })) as ExecutionResult;
      expect(result.errors?.[0]?.extensions?.code, field).toBe(code);
    }
    expect(touched).toEqual([]);
  });
});

describe("list fields and subscription events over a real stack", () => {
  let stack: Stack;
  let templateId: string;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { RECONCILE_INTERVAL_MS: "3600000" } });
    // 5 domains × 3 disks; in domain 0, disk "a" is the template of "b" and "c".
    for (let i = 0; i < 5; i++) {
      const [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ($1, $2) RETURNING id`, [
        `dom${i}`,
        `${stack.root}/dom${i}`,
      ]);
      const ids: string[] = [];
      for (const alias of ["a", "b", "c"]) {
        const [{ id }] = await stack.db.query(
          `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable, "actualSize") VALUES ($1, $2, 'QCOW2', true, 1) RETURNING id`,
          [domainId, `${alias}${i}`],
        );
        ids.push(id);
      }
      if (i === 0) {
        templateId = ids[0]!;
        await stack.db.query(`UPDATE disk SET "templateDiskId" = $1 WHERE id = ANY($2::uuid[])`, [templateId, ids.slice(1)]);
      }
    }
  });
  afterAll(() => stack?.close());

  const LISTS = `{ storageDomains { name disks(first: 2) { alias derivedDisks(first: 1) { alias } sparsifyJobs(first: 1) { id } } } }`;

  it("StorageDomain.disks, Disk.derivedDisks and Disk.sparsifyJobs are batched: one statement each, however many parents", async () => {
    await stack.gql("{ me { name } }");
    statements.reset();
    await stack.gql("{ me { name } }");
    const base = statements.count;
    statements.reset();
    const data = ok<any>(await stack.gql(LISTS));
    const used = statements.count - base;
    expect(data.storageDomains).toHaveLength(5);
    // storageDomains, disks of all domains, derived disks of all disks, jobs of all disks.
    expect(used).toBeLessThanOrEqual(4);
  });

  it("and bounded by first", async () => {
    const data = ok<any>(await stack.gql(LISTS));
    const dom0 = data.storageDomains.find((d: any) => d.name === "dom0");
    expect(dom0.disks.map((d: any) => d.alias)).toEqual(["a0", "b0"]);
    expect(dom0.disks[0].derivedDisks).toEqual([{ alias: "b0" }]);
    expect(
      ok<any>(await stack.gql(`query($id: ID!) { disk(id: $id) { derivedDisks { alias } } }`, { id: templateId })).disk
        .derivedDisks,
    ).toEqual([{ alias: "b0" }, { alias: "c0" }]);
    for (const query of [
      "{ storageDomains { disks(first: 501) { alias } } }",
      "{ storageDomains { disks { derivedDisks(first: 501) { alias } } } }",
      "{ storageDomains { disks { sparsifyJobs(first: 101) { id } } } }",
    ]) {
      expect(codeOf(await stack.gql(query)), query).toBe("BAD_USER_INPUT");
    }
  });

  it("a subscription selecting the job's disk sees it renamed, then forgotten, at the next events", async () => {
    const [{ id: diskId }] = await stack.db.query(`SELECT id FROM disk WHERE alias = 'c4'`);
    const job = ok<any>(await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId })).sparsifyDisk;
    const client: Client = wsClient(stack.wsUrl, stack.token);
    const seen: any[] = [];
    const stop = client.subscribe(
      { query: `subscription($id: ID!) { sparsifyJob(id: $id) { progress disk { alias } } }`, variables: { id: job.id } },
      { next: (v) => seen.push(v.data?.sparsifyJob ?? v), error: (e) => seen.push({ error: e }), complete: () => {} },
    );
    try {
      await waitFor(() => seen.length >= 1, { timeout: 5_000, what: "the first event" });
      expect(seen[0]).toEqual({ progress: 0, disk: { alias: "c4" } });
      const step = async (progress: number) => {
        await stack.db.query(`UPDATE sparsify_job SET progress = $2 WHERE id = $1`, [job.id, progress]);
        await stack.gateway.services.sparsify.store.announce((await stack.gateway.services.sparsify.store.get(job.id))!);
        await waitFor(() => seen.length >= progress / 5 + 1, { timeout: 5_000, what: `the event with progress ${progress}` });
        return seen[seen.length - 1];
      };
      await stack.db.query(`UPDATE disk SET alias = 'c4-renamed' WHERE id = $1`, [diskId]);
      expect(await step(5)).toEqual({ progress: 5, disk: { alias: "c4-renamed" } });
      await stack.db.query(`DELETE FROM disk WHERE id = $1`, [diskId]);
      expect(await step(10)).toEqual({ progress: 10, disk: null });
    } finally {
      stop();
      await client.dispose();
    }
  });
});
