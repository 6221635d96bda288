import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, startStack, type Stack } from "../support/stack.js";

/** 1,000 disks seeded in SQL (the rules are not under test here: paging is). Sizes repeat to force ties. */
describe("disks pagination", () => {
  let stack: Stack;
  let domainId: string;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    const [{ id }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('bulk', $1) RETURNING id`, [`${stack.root}/bulk`]);
    domainId = id;
    await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, "virtualSize", "actualSize", sparsifiable)
       SELECT $1, 'disk-' || lpad(i::text, 4, '0'), 'QCOW2', (i % 7)::bigint * 1073741824, (i % 13)::bigint * 1048576, i % 3 = 0
         FROM generate_series(1, 1000) AS i`,
      [domainId],
    );
  });
  afterAll(() => stack?.close());

  const QUERY = `query($first: Int, $after: String, $orderBy: DiskOrder, $filter: DiskFilter) {
    disks(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id alias actualSize virtualSize } }
    }
  }`;

  async function walk(orderBy: { field: string; direction: string } | null, filter?: object) {
    const seen: { id: string; alias: string; actualSize: number; virtualSize: number }[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const data: any = ok(await stack.gql(QUERY, { first: 100, after, orderBy, filter }));
      seen.push(...data.disks.edges.map((e: any) => e.node));
      pages++;
      if (!data.disks.pageInfo.hasNextPage) return { seen, pages, total: data.disks.totalCount };
      after = data.disks.pageInfo.endCursor;
    }
  }

  const orderings = [
    { field: "ALIAS", key: "alias" },
    { field: "ACTUAL_SIZE", key: "actualSize" },
    { field: "VIRTUAL_SIZE", key: "virtualSize" },
  ] as const;

  it.each(orderings.flatMap((o) => ["ASC", "DESC"].map((direction) => ({ ...o, direction }))))("$field $direction: every disk once, in order", async ({ field, key, direction }) => {
    const { seen, pages, total } = await walk({ field, direction });
    expect(total).toBe(1000);
    expect(pages).toBe(10);
    expect(new Set(seen.map((d) => d.id)).size).toBe(1000);
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]![key], seen[i]![key]];
      if (direction === "ASC") expect(a <= b).toBe(true);
      else expect(a >= b).toBe(true);
    }
  });

  it("filters page and count together", async () => {
    const { seen, total } = await walk(null, { sparsifiable: true, storageDomainId: domainId });
    expect(total).toBe(333);
    expect(seen).toHaveLength(333);
    const text = ok<any>(await stack.gql(QUERY, { first: 500, filter: { text: "disk-01" } }));
    expect(text.disks.totalCount).toBe(100);
    expect(text.disks.edges.every((e: any) => e.node.alias.includes("disk-01"))).toBe(true);
  });

  it("a LIKE wildcard in the text filter is taken literally", async () => {
    const data = ok<any>(await stack.gql(QUERY, { first: 10, filter: { text: "%" } }));
    expect(data.disks.totalCount).toBe(0);
  });

  it("defaults to 50 per page", async () => {
    const data = ok<any>(await stack.gql(QUERY, {}));
    expect(data.disks.edges).toHaveLength(50);
    expect(data.disks.pageInfo.hasNextPage).toBe(true);
  });

  it("a cursor of one ordering is refused by another", async () => {
    const first = ok<any>(await stack.gql(QUERY, { first: 1, orderBy: { field: "ALIAS", direction: "ASC" } }));
    const res = await stack.gql(QUERY, { first: 1, after: first.disks.pageInfo.endCursor, orderBy: { field: "ACTUAL_SIZE", direction: "ASC" } });
    expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
