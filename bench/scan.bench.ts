/**
 * bench:scan — the database phase of a scan of one domain of 100,000 volumes (synthetic readings,
 * spooled to a file first as a host's walk does: the host's part is not timed), against a raw floor
 * storing the same rows: every volume row AND every disk row the scan stores (ids, links, blockers,
 * warnings included), each `COPY`'d into a temporary table and upserted by one statement into a table
 * made `LIKE volume/disk INCLUDING ALL` (bench/scan-floor.ts). The first scan (all rows new) against
 * a first floor load, then rescans (one disk in BENCH_GROW_EVERY grew, 10 by default; 1 changes all)
 * side by side, alternating, several rounds, medians. Target: scan ≤ 2× floor.
 * Reports the scans' peak heap above what the process held before each (garbage included) and peak
 * RSS; bench:scan-memory measures live heap against the domain's size.
 */
import "reflect-metadata";
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import pg from "pg";
import { applyScan } from "../src/services/inventory-writer.js";
import { ReadingSpool } from "../src/services/reading-spool.js";
import { StorageDomain } from "../src/entities/index.js";
import { openDatabase } from "../src/server/database.js";
import { createTestDatabase } from "../test/support/stack.js";
import { createFloorTables, floorRows, loadFloor, type Assessment } from "./scan-floor.js";
import { syntheticReadingStream, syntheticReadings } from "./scan-readings.js";
import { countStatements } from "./statement-counter.js";
import { percentile, timeIt } from "./stats.js";

const VOLUMES = Number(process.env.BENCH_VOLUMES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Each rescan grows one disk in this many (1: every disk, the worst case). */
const EVERY = Number(process.env.BENCH_GROW_EVERY ?? 10);
const statements = countStatements();
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const s = (msValue: number) => `${(msValue / 1000).toFixed(2)} s`;
v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

// Peak heap and RSS, sampled every 10 ms while a scan runs (not the floor: its rows are the bench's).
const peak = { heap: 0, rss: 0 };
let sampling = false;
const sample = () => {
  peak.heap = Math.max(peak.heap, v8.getHeapStatistics().used_heap_size);
  peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
};
const sampler = setInterval(() => sampling && sample(), 10);

const database = await createTestDatabase();
const db = await openDatabase(database.url);
const raw = new pg.Client({ connectionString: database.url });
await raw.connect();
await createFloorTables(raw);
const newDomain = async (name: string) => {
  const [{ id }] = await db.query(`INSERT INTO storage_domain (name, path) VALUES ($1, $2) RETURNING id`, [name, `/tmp/${name}`]);
  return (await db.getRepository(StorageDomain).findOneBy({ id }))!;
};
const domain = await newDomain("bench");

/** The readings on a spool, as the host leaves them (not timed), streamed from a generator. */
async function spoolOf(volumes: number, round: number, every = EVERY): Promise<ReadingSpool> {
  const spool = await ReadingSpool.create([domain.path]);
  for (const reading of syntheticReadingStream(volumes, round, every)) await spool.write(reading);
  await spool.finish();
  return spool;
}

/**
 * One scan from a spool, timed alone (the collection before it and the spool's removal after are
 * not); its peak heap is measured above the heap held, after a collection, before it.
 */
async function scan(target: StorageDomain, spool: ReadingSpool): Promise<{ ms: number; heapDelta: number; rss: number }> {
  gc();
  const before = { heap: v8.getHeapStatistics().used_heap_size, rss: process.memoryUsage.rss() };
  Object.assign(peak, before);
  sampling = true;
  const t0 = performance.now();
  let ms = 0;
  try {
    await db.transaction((em) => applyScan(em, target, spool));
  } finally {
    ms = performance.now() - t0;
    sampling = false;
    sample();
    await spool.dispose();
  }
  return { ms, heapDelta: peak.heap - before.heap, rss: peak.rss };
}

// The first scan: every row new.
statements.reset();
const firstMemory = await scan(domain, await spoolOf(VOLUMES, 0));
const firstScan = firstMemory.ms;
const firstStatements = statements.count;
// The floor stores the assessments the scan stored (they do not change with a disk's size).
const assessed: (Assessment & { base: string })[] = (
  await raw.query(
    `SELECT v."relPath" AS base, d.sparsifiable, d.blockers::text AS blockers, d.warnings::text AS warnings
     FROM disk d JOIN volume v ON v.id = d."baseVolumeId" WHERE d."storageDomainId" = $1`,
    [domain.id],
  )
).rows;
const assessments = new Map(assessed.map(({ base, ...a }) => [base, a]));
const assessmentOf = (base: string) => assessments.get(base)!;
const firstRows = floorRows(domain.id, syntheticReadings(VOLUMES, 0), assessmentOf);
const firstRaw = await timeIt(() => loadFloor(raw, firstRows));
const disks = Number((await raw.query(`SELECT count(*) FROM disk`)).rows[0].count);
await raw.query("ANALYZE");

const scanTimes: number[] = [];
const rawTimes: number[] = [];
const rescanMemory: { heapDelta: number; rss: number }[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  // Both sides' inputs are prepared outside the timing: the floor's rows in memory, the scan's spool on disk.
  const rows = floorRows(domain.id, syntheticReadings(VOLUMES, round, EVERY), assessmentOf);
  const spool = await spoolOf(VOLUMES, round);
  const floor = () => loadFloor(raw, rows);
  const rescan = async () => {
    const measured = await scan(domain, spool);
    rescanMemory.push(measured);
    scanTimes.push(measured.ms);
  };
  // Alternate the order so drift (caches, checkpoints, the other core) hits both sides alike.
  const sides = round % 2 ? ([rescan, floor] as const) : ([floor, rescan] as const);
  for (const run of sides)
    if (run === floor) rawTimes.push(await timeIt(run));
    else await run();
}
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
console.log(`rescan ratio p50 scan/floor : ${(scan50 / raw50).toFixed(2)}× (target ≤ 2×)`);
console.log(`memory (gateway side, peak heap above the heap held before the scan; peak RSS of the process):`);
const worstRescan = Math.max(...rescanMemory.map((m) => m.heapDelta));
console.log(`  first scan                : heap +${mib(firstMemory.heapDelta)}, RSS ${mib(firstMemory.rss)}`);
console.log(`  rescans (worst)           : heap +${mib(worstRescan)}, RSS ${mib(Math.max(...rescanMemory.map((m) => m.rss)))}`);

clearInterval(sampler);

await raw.end();
await db.destroy();
await database.drop();
process.exit(0);
