/**
 * bench:scan — the database phase of a scan of one domain of 100,000 volumes (synthetic readings:
 * the host's part is not timed), against a raw floor storing the same rows: every volume row AND
 * every disk row the scan stores (ids, links, blockers, warnings included), each `COPY`'d into a
 * temporary table and upserted by one statement into a table made `LIKE volume/disk INCLUDING ALL`
 * (bench/scan-floor.ts). The first scan (all rows new) against a first floor load, then rescans
 * (one disk in BENCH_GROW_EVERY grew, 10 by default; 1 changes all) side by side, alternating,
 * several rounds, medians. Reports peak RSS and heap. Target: scan ≤ 2× floor.
 */
import "reflect-metadata";
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import pg from "pg";
import { applyScan } from "../src/services/inventory-writer.js";
import { planScan } from "../src/services/scan-plan.js";
import { StorageDomain } from "../src/entities/index.js";
import type { VolumeReading } from "../src/host/scan/read-volumes.js";
import { openDatabase } from "../src/server/database.js";
import { createTestDatabase } from "../test/support/stack.js";
import { createFloorTables, floorRows, loadFloor, type Assessment } from "./scan-floor.js";
import { syntheticReadings } from "./scan-readings.js";
import { countStatements } from "./statement-counter.js";
import { percentile, timeIt } from "./stats.js";

const VOLUMES = Number(process.env.BENCH_VOLUMES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Each rescan grows one disk in this many (1: every disk, the worst case). */
const EVERY = Number(process.env.BENCH_GROW_EVERY ?? 10);
const statements = countStatements();
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const s = (msValue: number) => `${(msValue / 1000).toFixed(2)} s`;

// Peak heap and RSS, sampled every 20 ms while a scan runs (not the floor: its rows are the bench's),
// for the first scan and for the rescans apart.
const peak = { heap: 0, rss: 0 };
let sampling = false;
const sampler = setInterval(() => {
  if (!sampling) return;
  peak.heap = Math.max(peak.heap, v8.getHeapStatistics().used_heap_size);
  peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
}, 20);

const database = await createTestDatabase();
const db = await openDatabase(database.url);
const raw = new pg.Client({ connectionString: database.url });
await raw.connect();
const [{ id: domainId }] = await db.query(
  `INSERT INTO storage_domain (name, path) VALUES ('bench', '/tmp/bench-scan') RETURNING id`,
);
await createFloorTables(raw);
const domain = (await db.getRepository(StorageDomain).findOneBy({ id: domainId }))!;

const scan = (readings: VolumeReading[]) => async () => {
  sampling = true;
  try {
    return await db.transaction((em) => applyScan(em, domain, readings));
  } finally {
    sampling = false;
  }
};

// The first scan: every row new. Then rescans, each changing every volume's size.
let first: VolumeReading[] | null = syntheticReadings(VOLUMES, 0);
const rssBefore = process.memoryUsage().rss;
statements.reset();
const firstScan = await timeIt(scan(first));
const firstStatements = statements.count;
const firstPeak = { ...peak }; // the scan's own peak, before the floor's rows are prepared
// The floor stores the assessments the scan stored (they do not change with a disk's size).
const assessed: (Assessment & { base: string })[] = (
  await raw.query(
    `SELECT v."relPath" AS base, d.sparsifiable, d.blockers::text AS blockers, d.warnings::text AS warnings
     FROM disk d JOIN volume v ON v.id = d."baseVolumeId" WHERE d."storageDomainId" = $1`,
    [domainId],
  )
).rows;
const assessments = new Map(assessed.map(({ base, ...a }) => [base, a]));
const assessmentOf = (base: string) => assessments.get(base)!;
const firstRows = floorRows(domainId, first, assessmentOf);
const firstRaw = await timeIt(() => loadFloor(raw, firstRows));
first = null; // only one domain's readings in memory at a time, as in a worker
Object.assign(peak, { heap: 0, rss: 0 });
const disks = Number((await raw.query(`SELECT count(*) FROM disk`)).rows[0].count);
await raw.query("ANALYZE");

const scanTimes: number[] = [];
const rawTimes: number[] = [];
const grouping: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const readings = syntheticReadings(VOLUMES, round, EVERY);
  // Alternate the order so drift (caches, checkpoints, the other core) hits both sides alike.
  const rows = floorRows(domainId, readings, assessmentOf); // prepared outside the timing: the floor is SQL only
  const floor = () => loadFloor(raw, rows);
  const sides =
    round % 2
      ? ([
          ["scan", scan(readings)],
          ["raw", floor],
        ] as const)
      : ([
          ["raw", floor],
          ["scan", scan(readings)],
        ] as const);
  for (const [side, run] of sides) {
    if (side === "raw") rawTimes.push(await timeIt(run));
    else {
      scanTimes.push(await timeIt(run));
      // The in-memory part of it (grouping into disks, no database), timed alone on the same readings.
      grouping.push(await timeIt(async () => planScan(readings)));
    }
  }
}
clearInterval(sampler);
const [scan50, raw50] = [percentile(scanTimes, 50), percentile(rawTimes, 50)];
console.log(
  `domain: ${VOLUMES} volumes, ${disks} disks (synthetic readings), ${ROUNDS} rescan rounds, 1 disk in ${EVERY} grown each`,
);
console.log(`load: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
console.log(
  "floor: every volume row and disk row the scan stores, COPY'd into two temp tables and upserted by one statement each",
);
console.log("       into tables LIKE volume/disk INCLUDING ALL (same indexes); unchanged rows are not rewritten");
const firstRatio = (firstScan / firstRaw).toFixed(2);
console.log(
  `first scan (all new)        : scan ${s(firstScan)}  floor ${s(firstRaw)}  ratio ${firstRatio}×  (${firstStatements} statements)`,
);
console.log(`rescan, database phase p50  : scan ${s(scan50)}  floor ${s(raw50)}`);
const group50 = percentile(grouping, 50);
console.log(`  of which grouping p50     : ${s(group50)} (in memory, no database)`);
const withoutGrouping = ((scan50 - group50) / raw50).toFixed(2);
console.log(
  `rescan ratio p50 scan/floor : ${(scan50 / raw50).toFixed(2)}× (target ≤ 2×); without the grouping ${withoutGrouping}×`,
);
const heapLimit = mib(v8.getHeapStatistics().heap_size_limit);
console.log(`memory: RSS ${mib(rssBefore)} with the first readings, before any scan; heap limit ${heapLimit}`);
console.log(`  first scan                : peak RSS ${mib(firstPeak.rss)}, peak heap used ${mib(firstPeak.heap)}`);
console.log(
  `  rescans                   : peak RSS ${mib(peak.rss)}, peak heap used ${mib(peak.heap)} (garbage until V8 collects it)`,
);

await raw.end();
await db.destroy();
await database.drop();
process.exit(0);
