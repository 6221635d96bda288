import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, startStack, type Stack } from "../support/stack.js";

/** 1,000 disks seeded in SQL (the rules are not under test here: paging is). Sizes repeat to force ties. */
describe("disks pagination", () => {
  let stack: Stack;
  let domainId: string;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    const [{ id }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('bulk', $1) RETURNING id`, [
      `${stack.root}/bulk`,
    ]);
    domainId = id;
    await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, "virtualSize", "actualSize", sparsifiable)
       SELECT $1, 'disk-' || lpad(i::text, 4, '0'), 'QCOW2', (i % 7)::bigint * 1073741824, (i % 13)::bigint * 1048576, i % 3 = 0
         FROM generate_series(1, 1000) AS i`,
      [domainId],
    );
    // Some estimates, many missing (they sort as 0) and many equal: RECLAIMABLE pages over ties too.
    await stack.db.query(
      `UPDATE disk SET "reclaimableEstimate" = (length(alias) + right(alias, 1)::int % 4) * 1048576 WHERE right(alias, 1)::int % 3 <> 0`,
    );
  });
  afterAll(() => stack?.close());

  const QUERY = `query($first: Int, $after: String, $last: Int, $before: String, $orderBy: DiskOrder, $filter: DiskFilter) {
    disks(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, filter: $filter) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id alias actualSize virtualSize reclaimableEstimate } }
    }
  }`;

  type Row = { id: string; alias: string; actualSize: number; virtualSize: number; reclaimableEstimate: number | null };

  async function walk(orderBy: { field: string; direction: string } | null, filter?: object) {
    const seen: Row[] = [];
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

  /** From the end to the start with last/before; returned in list order. */
  async function walkBackward(orderBy: { field: string; direction: string }, size: number) {
    const pages: Row[][] = [];
    let before: string | null = null;
    for (;;) {
      const data: any = ok(await stack.gql(QUERY, { last: size, before, orderBy }));
      const { pageInfo, edges } = data.disks;
      pages.unshift(edges.map((e: any) => e.node));
      expect(pageInfo.startCursor).toBe(edges[0]?.cursor ?? null);
      expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
      // Paging backwards from a cursor: what lies after it is known.
      expect(pageInfo.hasNextPage).toBe(before !== null);
      if (!pageInfo.hasPreviousPage) return pages.flat();
      before = pageInfo.startCursor;
    }
  }

  const orderings = [
    { field: "ALIAS", key: "alias" },
    { field: "ACTUAL_SIZE", key: "actualSize" },
    { field: "VIRTUAL_SIZE", key: "virtualSize" },
    { field: "RECLAIMABLE", key: "reclaimableEstimate" },
  ] as const;
  const everyOrdering = orderings.flatMap((o) => ["ASC", "DESC"].map((direction) => ({ ...o, direction })));

  // 1,000 is not a multiple of 77: the last backward page (the list's first) is a short one.
  it.each(everyOrdering)(
    "$field $direction backwards (last/before): every disk once, the same order as forwards",
    async ({ field, direction }) => {
      const forwards = (await walk({ field, direction })).seen.map((d) => d.id);
      const backwards = (await walkBackward({ field, direction }, 77)).map((d) => d.id);
      expect(backwards).toHaveLength(1000);
      expect(new Set(backwards).size).toBe(1000);
      expect(backwards).toEqual(forwards);
    },
  );

  it("forwards from a cursor, hasPreviousPage says there is something before it; startCursor is the first edge", async () => {
    const orderBy = { field: "ACTUAL_SIZE", direction: "DESC" };
    const first = ok<any>(await stack.gql(QUERY, { first: 10, orderBy })).disks;
    expect(first.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true, startCursor: first.edges[0].cursor });
    const second = ok<any>(await stack.gql(QUERY, { first: 10, after: first.pageInfo.endCursor, orderBy })).disks;
    expect(second.pageInfo.hasPreviousPage).toBe(true);
    // Back from the second page's start lands exactly on the first page.
    const back = ok<any>(await stack.gql(QUERY, { last: 10, before: second.pageInfo.startCursor, orderBy })).disks;
    expect(back.edges.map((e: any) => e.node.id)).toEqual(first.edges.map((e: any) => e.node.id));
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
  });

  it("a window between after and before", async () => {
    const orderBy = { field: "ALIAS", direction: "ASC" };
    const page = ok<any>(await stack.gql(QUERY, { first: 12, orderBy })).disks.edges;
    const between = ok<any>(await stack.gql(QUERY, { first: 50, after: page[1].cursor, before: page[11].cursor, orderBy })).disks;
    expect(between.edges.map((e: any) => e.node.alias)).toEqual(page.slice(2, 11).map((e: any) => e.node.alias));
    expect(between.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it("first with last, a bad before cursor or a negative last are refused with BAD_USER_INPUT", async () => {
    const both = await stack.gql(QUERY, { first: 1, last: 1 });
    expect(both.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "last" });
    const bad = await stack.gql(QUERY, { last: 1, before: "nope" });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "before" });
    const negative = await stack.gql(QUERY, { last: -1 });
    expect(negative.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "last" });
  });

  it.each(everyOrdering)("$field $direction: every disk once, in order", async ({ field, key, direction }) => {
    const { seen, pages, total } = await walk({ field, direction });
    expect(total).toBe(1000);
    expect(pages).toBe(10);
    expect(new Set(seen.map((d) => d.id)).size).toBe(1000);
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]![key] ?? 0, seen[i]![key] ?? 0];
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
    const res = await stack.gql(QUERY, {
      first: 1,
      after: first.disks.pageInfo.endCursor,
      orderBy: { field: "ACTUAL_SIZE", direction: "ASC" },
    });
    expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
