import "reflect-metadata";
import pg from "pg";
import type { DataSource } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiskOrderField, OrderDirection } from "../../src/schema/disk-query.input.js";
import { openDatabase } from "../../src/server/database.js";
import { listDisks } from "../../src/services/disk-query.service.js";
import { createTestDatabase } from "../support/stack.js";

const DISKS = 60_000;

/** Every index name in an EXPLAIN (FORMAT JSON) plan. */
function indexesIn(node: Record<string, unknown>): string[] {
  const own = typeof node["Index Name"] === "string" ? [node["Index Name"] as string] : [];
  return [...own, ...((node.Plans as Record<string, unknown>[] | undefined) ?? []).flatMap(indexesIn)];
}

/**
 * The disk list's own statements, as the gateway sends them, are planned on the indexes at a size
 * where the planner prefers them to a scan: the alias text filter on the trigram index, the
 * reclaimable ordering on its expression index.
 */
describe("disk list indexes", () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url);
    const [{ id }] = await db.query(`INSERT INTO storage_domain (name, path) VALUES ('big', '/tmp/big') RETURNING id`);
    await db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, "reclaimableEstimate")
       SELECT $1, 'vm-' || md5(i::text) || '-disk' || (i % 4), 'QCOW2', CASE WHEN i % 3 = 0 THEN NULL ELSE (i % 5000)::bigint * 1048576 END
         FROM generate_series(1, $2::int) AS i`,
      [id, DISKS],
    );
    await db.query("ANALYZE disk");
  }, 120_000);
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  /** Runs the list and returns the page statement it sent, with its plan's index names. */
  async function pagePlan(args: Parameters<typeof listDisks>[1]) {
    const sent: { text: string; values: unknown[] }[] = [];
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
      if (typeof a[0] === "string" && a[0].includes("LIMIT")) sent.push({ text: a[0], values: (a[1] as unknown[]) ?? [] });
      return (original as (...x: unknown[]) => unknown).apply(this, a);
    } as typeof original;
    let page;
    try {
      page = await listDisks(db, args);
    } finally {
      pg.Client.prototype.query = original;
    }
    expect(sent).toHaveLength(1);
    const [{ "QUERY PLAN": plan }] = await db.query(`EXPLAIN (FORMAT JSON) ${sent[0]!.text}`, sent[0]!.values);
    return { page, indexes: indexesIn(plan[0].Plan) };
  }

  it("the alias text filter uses the trigram index and finds what ILIKE finds", async () => {
    const [{ alias }] = await db.query(`SELECT alias FROM disk ORDER BY alias LIMIT 1 OFFSET 1234`);
    const needle = alias.slice(3, 12); // a piece of the md5: one disk or a handful
    const { page, indexes } = await pagePlan({
      first: 20,
      filter: { text: needle },
      orderBy: { field: DiskOrderField.RECLAIMABLE, direction: OrderDirection.DESC },
    });
    expect(indexes).toContain("IDX_disk_alias_trgm");
    const expected = await db.query(
      `SELECT id FROM disk WHERE alias ILIKE $1 ORDER BY COALESCE("reclaimableEstimate", 0) DESC, id DESC LIMIT 20`,
      [`%${needle}%`],
    );
    expect(page.edges.map((e) => e.node.id)).toEqual(expected.map((r: { id: string }) => r.id));
  });

  it.each([OrderDirection.DESC, OrderDirection.ASC])(
    "the reclaimable ordering (%s) reads its expression index, pages included",
    async (direction) => {
      const first = await pagePlan({ first: 50, orderBy: { field: DiskOrderField.RECLAIMABLE, direction } });
      expect(first.indexes).toContain("IDX_disk_reclaimable_order");
      const next = await pagePlan({
        first: 50,
        after: first.page.pageInfo.endCursor,
        orderBy: { field: DiskOrderField.RECLAIMABLE, direction },
      });
      expect(next.indexes).toContain("IDX_disk_reclaimable_order");
      const dir = direction === OrderDirection.DESC ? "DESC" : "ASC";
      const expected = await db.query(
        `SELECT id FROM disk ORDER BY COALESCE("reclaimableEstimate", 0) ${dir}, id ${dir} LIMIT 100`,
      );
      expect([...first.page.edges, ...next.page.edges].map((e) => e.node.id)).toEqual(expected.map((r: { id: string }) => r.id));
    },
  );
});
