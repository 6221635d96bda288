/**
 * bench:disks — 100,000 disks; `disks(first: 100)` with blockers over HTTP against the same page
 * in raw SQL, side by side, for three lists: by actual size, by reclaimable space (its expression
 * index), and an alias text filter in that order (the trigram index). Prints each page's plan.
 * Targets: ≤ 3 SQL statements per request, p50 ≤ 4× raw SQL.
 */
import "reflect-metadata";
import { readFileSync } from "node:fs";
import pg from "pg";
import { pino } from "pino";
import { loadConfig } from "../src/config.js";
import { Role } from "../src/domain/roles.js";
import { openDatabase } from "../src/server/database.js";
import { startGateway } from "../src/server/gateway.js";
import { createTestDatabase } from "../test/support/stack.js";
import { countStatements } from "./statement-counter.js";
import { ms, percentile, timeIt } from "./stats.js";

const DISKS = Number(process.env.BENCH_DISKS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);

// Count every statement the gateway sends, at the driver.
const statements = countStatements();

const database = await createTestDatabase();
const config = loadConfig({
  NODE_ENV: "test",
  PORT: "0",
  BIND_ADDRESS: "127.0.0.1",
  DATABASE_URL: database.url,
  QUEUE_PREFIX: `bench${Date.now()}`,
  STORAGE_ROOTS: "/tmp",
  LOG_LEVEL: "silent",
  RECONCILE_INTERVAL_MS: "3600000",
  RATE_LIMIT_QUERIES_PER_SECOND: "100000",
});
const db = await openDatabase(config.DATABASE_URL);
const [{ id: domainId }] = await db.query(`INSERT INTO storage_domain (name, path) VALUES ('bench', '/tmp/bench') RETURNING id`);
const seedStart = performance.now();
await db.query(
  `INSERT INTO disk ("storageDomainId", alias, format, "virtualSize", "actualSize", "reclaimableEstimate", sparsifiable, blockers, warnings)
   SELECT $1, 'disk-' || lpad(i::text, 6, '0'), 'QCOW2', 10737418240, (i % 1000)::bigint * 1048576,
          CASE WHEN i % 3 = 0 THEN NULL ELSE (i * 7919 % 5000)::bigint * 1048576 END, i % 4 <> 0,
          CASE WHEN i % 4 = 0 THEN
            '[{"code":"VM_NOT_DOWN","message":"Attached to VM vm-1, which is UP; shut it down or unplug the disk"}]'::jsonb
          ELSE '[]'::jsonb END,
          CASE WHEN i % 5 = 0 THEN '[{"code":"HAS_SNAPSHOTS","message":"The disk has 1 snapshot(s)"}]'::jsonb ELSE '[]'::jsonb END
     FROM generate_series(1, $2::int) AS i`,
  [domainId, DISKS],
);
await db.query("ANALYZE disk");
console.log(`seeded ${DISKS} disks in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

const gateway = await startGateway(config, db, pino({ level: "silent" }));
// A viewer token, as a dashboard would use; its verification is cached, so it costs no statement per request.
const { secret } = await gateway.services.tokens.create({ name: "bench-viewer", role: Role.VIEWER }, "bench");
const raw = new pg.Client({ connectionString: database.url });
await raw.connect();
const COLUMNS = `id, alias, format, "virtualSize", "actualSize", status, sparsifiable, blockers, warnings`;

interface Scenario {
  name: string;
  args: string;
  /** The same page and count in raw SQL. */
  sql: { page: string; count: string; values: unknown[] };
  /** The index its page is expected to read. */
  index: string;
}
const TEXT = "0999"; // disk-000999, disk-009990…: 110 disks
const scenarios: Scenario[] = [
  {
    name: "by actual size",
    args: "orderBy: { field: ACTUAL_SIZE, direction: DESC }",
    sql: {
      page: `SELECT ${COLUMNS} FROM disk ORDER BY "actualSize" DESC, id DESC LIMIT 101`,
      count: "SELECT count(*) FROM disk",
      values: [],
    },
    index: "IDX_a3a77f6b5ac7fdfe3e243a100b",
  },
  {
    name: "by reclaimable",
    args: "orderBy: { field: RECLAIMABLE, direction: DESC }",
    sql: {
      page: `SELECT ${COLUMNS} FROM disk ORDER BY COALESCE("reclaimableEstimate", 0) DESC, id DESC LIMIT 101`,
      count: "SELECT count(*) FROM disk",
      values: [],
    },
    index: "IDX_disk_reclaimable_order",
  },
  {
    name: `alias ~ "${TEXT}", by reclaimable`,
    args: `filter: { text: "${TEXT}" }, orderBy: { field: RECLAIMABLE, direction: DESC }`,
    sql: {
      page: `SELECT ${COLUMNS} FROM disk WHERE alias ILIKE $1 ORDER BY COALESCE("reclaimableEstimate", 0) DESC, id DESC LIMIT 101`,
      count: "SELECT count(*) FROM disk WHERE alias ILIKE $1",
      values: [`%${TEXT}%`],
    },
    index: "IDX_disk_alias_trgm",
  },
];

/** Every index name in an EXPLAIN (FORMAT JSON) plan. */
const indexesIn = (node: Record<string, unknown>): string[] => [
  ...(typeof node["Index Name"] === "string" ? [node["Index Name"] as string] : []),
  ...((node.Plans as Record<string, unknown>[] | undefined) ?? []).flatMap(indexesIn),
];

let failed = false;
for (const scenario of scenarios) {
  const query = `query { disks(first: 100, ${scenario.args}) {
    totalCount pageInfo { endCursor hasNextPage }
    edges { node { id alias format virtualSize actualSize status sparsifiable
      sparsifyBlockers { code message } sparsifyWarnings { code message } } } } }`;
  const http = async () => {
    const res = await fetch(gateway.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
      body: JSON.stringify({ query }),
    });
    const body = (await res.json()) as { data?: { disks: { edges: unknown[] } }; errors?: unknown };
    if (!body.data || body.data.disks.edges.length !== 100) throw new Error(`bad response ${JSON.stringify(body).slice(0, 300)}`);
  };
  const rawSql = async () => {
    await raw.query(scenario.sql.page, scenario.sql.values);
    await raw.query(scenario.sql.count, scenario.sql.values);
  };

  for (let i = 0; i < 20; i++) await Promise.all([http(), rawSql()]); // warm both
  statements.reset();
  await http();
  const perRequest = statements.count;

  const httpTimes: number[] = [];
  const rawTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate so drift (caches, the other core) hits both sides alike.
    if (i % 2 === 0) {
      httpTimes.push(await timeIt(http));
      rawTimes.push(await timeIt(rawSql));
    } else {
      rawTimes.push(await timeIt(rawSql));
      httpTimes.push(await timeIt(http));
    }
  }
  const [{ "QUERY PLAN": plan }] = (await raw.query(`EXPLAIN (FORMAT JSON) ${scenario.sql.page}`, scenario.sql.values)).rows;
  const indexes = [...new Set(indexesIn(plan[0].Plan))];
  const [h50, h99, r50, r99] = [
    percentile(httpTimes, 50),
    percentile(httpTimes, 99),
    percentile(rawTimes, 50),
    percentile(rawTimes, 99),
  ];
  const ratio = h50 / r50;
  console.log(`\n${scenario.name}`);
  console.log(`  disks(first: 100) over HTTP : p50 ${ms(h50)}  p99 ${ms(h99)}  (${ROUNDS} rounds)`);
  console.log(`  raw SQL (page + count)      : p50 ${ms(r50)}  p99 ${ms(r99)}`);
  console.log(`  SQL statements per request  : ${perRequest} (target ≤ 3)`);
  console.log(`  ratio p50 gateway / raw SQL : ${ratio.toFixed(2)}× (target ≤ 4×)`);
  console.log(
    `  page plan reads             : ${indexes.join(", ") || "no index (sequential scan)"} (expected ${scenario.index})`,
  );
  if (!indexes.includes(scenario.index)) failed = true;
}
console.log(`\nload: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
if (failed) console.log("FAILED: a page plan does not read its index");

await raw.end();
await gateway.close();
await db.destroy();
await database.drop();
process.exit(failed ? 1 : 0);
