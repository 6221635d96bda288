/**
 * bench:scan — the database phase of a scan of one domain of 100,000 volumes (synthetic readings:
 * the host's part is not timed), against raw SQL storing the same volume rows: `COPY` into a
 * temporary table plus one `INSERT … ON CONFLICT DO UPDATE` into a table like `volume` (same
 * columns, indexes and constraints). Side by side, alternating, several rounds of rescans (one
 * disk in BENCH_GROW_EVERY grew, 10 by default; 1 changes all), median. The first scan (all rows
 * new) is timed once against a first raw load.
 * Reports peak RSS and heap. Target: scan ≤ 2× raw.
 */
import "reflect-metadata";
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import v8 from "node:v8";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { copyText } from "../src/services/copy-rows.js";
import { applyScan } from "../src/services/inventory-writer.js";
import { planScan } from "../src/services/scan-plan.js";
import { StorageDomain } from "../src/entities/index.js";
import type { VolumeReading } from "../src/host/scan/read-volumes.js";
import { openDatabase } from "../src/server/database.js";
import { createTestDatabase } from "../test/support/stack.js";
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

// Peak heap and RSS, sampled every 20 ms, for the first scan and for the rescans apart.
const peak = { heap: 0, rss: 0 };
const sampler = setInterval(() => {
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
await raw.query(`CREATE TABLE bench_volume (LIKE volume INCLUDING ALL)`);
const domain = (await db.getRepository(StorageDomain).findOneBy({ id: domainId }))!;

const scan = (readings: VolumeReading[]) => () => db.transaction((em) => applyScan(em, domain, readings));

/** The floor: the same volume rows, COPY'd into a temp table and upserted by one statement. */
const COLUMNS =
  `"storageDomainId", "relPath", format, "virtualSize", "actualSize", ` +
  `"backingPath", problem, "refusalCode", "fileDevice", "fileInode"`;
const rawLoad = (readings: VolumeReading[]) => async () => {
  await raw.query("BEGIN");
  await raw.query(`CREATE TEMP TABLE raw_volume (LIKE volume INCLUDING DEFAULTS) ON COMMIT DROP`);
  async function* lines() {
    for (let i = 0; i < readings.length; i += 1000) {
      yield (
        readings
          .slice(i, i + 1000)
          .map((r) =>
            [
              domainId,
              r.relPath,
              r.format.toUpperCase(),
              r.virtualSize,
              r.actualSize,
              r.backingPath,
              r.problem,
              r.refusal?.code ?? null,
              r.fileDevice ?? null,
              r.fileInode ?? null,
            ]
              .map(copyText)
              .join("\t"),
          )
          .join("\n") + "\n"
      );
    }
  }
  await pipeline(Readable.from(lines()), raw.query(copyFrom(`COPY raw_volume (${COLUMNS}) FROM STDIN`)));
  await raw.query(
    `INSERT INTO bench_volume (${COLUMNS}, "scannedAt") SELECT ${COLUMNS}, now() FROM raw_volume
     ON CONFLICT ("storageDomainId", "relPath") DO UPDATE SET format = EXCLUDED.format, "virtualSize" = EXCLUDED."virtualSize",
       "actualSize" = EXCLUDED."actualSize", "backingPath" = EXCLUDED."backingPath", problem = EXCLUDED.problem,
       "refusalCode" = EXCLUDED."refusalCode", "fileDevice" = EXCLUDED."fileDevice",
       "fileInode" = EXCLUDED."fileInode", "scannedAt" = EXCLUDED."scannedAt"`,
  );
  await raw.query("COMMIT");
};

// The first scan: every row new. Then rescans, each changing every volume's size.
let first: VolumeReading[] | null = syntheticReadings(VOLUMES, 0);
const rssBefore = process.memoryUsage().rss;
statements.reset();
const firstScan = await timeIt(scan(first));
const firstStatements = statements.count;
const firstRaw = await timeIt(rawLoad(first));
first = null; // only one domain's readings in memory at a time, as in a worker
const firstPeak = { ...peak };
Object.assign(peak, { heap: 0, rss: 0 });
const disks = Number((await raw.query(`SELECT count(*) FROM disk`)).rows[0].count);
await raw.query("ANALYZE");

const scanTimes: number[] = [];
const rawTimes: number[] = [];
const grouping: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const readings = syntheticReadings(VOLUMES, round, EVERY);
  // Alternate the order so drift (caches, checkpoints, the other core) hits both sides alike.
  const sides =
    round % 2
      ? ([
          ["scan", scan(readings)],
          ["raw", rawLoad(readings)],
        ] as const)
      : ([
          ["raw", rawLoad(readings)],
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
  `first scan (all new)        : scan ${s(firstScan)}  raw COPY + upsert ${s(firstRaw)}  ` +
    `ratio ${(firstScan / firstRaw).toFixed(2)}×  (${firstStatements} statements)`,
);
console.log(`rescan, database phase p50  : scan ${s(scan50)}  raw COPY + upsert ${s(raw50)}`);
const group50 = percentile(grouping, 50);
console.log(`  of which grouping p50     : ${s(group50)} (in memory, no database)`);
console.log(
  `ratio p50 scan / raw        : ${(scan50 / raw50).toFixed(2)}× (target ≤ 2×); ` +
    `without the grouping ${((scan50 - group50) / raw50).toFixed(2)}×`,
);
console.log(
  `memory: RSS ${mib(rssBefore)} with the first readings, before any scan; heap limit ${mib(v8.getHeapStatistics().heap_size_limit)}`,
);
console.log(`  first scan + raw load     : peak RSS ${mib(firstPeak.rss)}, peak heap used ${mib(firstPeak.heap)}`);
console.log(
  `  rescans + raw loads       : peak RSS ${mib(peak.rss)}, peak heap used ${mib(peak.heap)} (garbage included until V8 collects it)`,
);

await raw.end();
await db.destroy();
await database.drop();
process.exit(0);
