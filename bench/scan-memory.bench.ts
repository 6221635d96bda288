/**
 * bench:scan-memory — the gateway-side memory of a scan against the size of its domain. For each
 * size (BENCH_MEMORY_SIZES, default 25,000, 100,000 and 200,000 volumes; synthetic readings
 * spooled to a file first, as a host's walk does) a fresh domain gets a first scan (every row new)
 * and a rescan (one disk in ten grew). Live heap is sampled every 20 ms after a forced collection,
 * so garbage waiting for V8 does not count: the peak above the heap held before the scan is what
 * the scan itself keeps alive. Streamed, it stays flat as the domain grows. For reference, the heap
 * that holding the same readings and their in-memory plan takes (what a scan held before it streamed).
 * First, the host's walk on real trees of small files (walk-memory.ts, BENCH_WALK_SIZES).
 */
import "reflect-metadata";
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { StorageDomain } from "../src/entities/index.js";
import { openDatabase } from "../src/server/database.js";
import { applyScan } from "../src/services/inventory-writer.js";
import { ReadingSpool } from "../src/services/reading-spool.js";
import { planScan } from "../src/services/scan-plan.js";
import { createTestDatabase } from "../test/support/stack.js";
import { syntheticReadingStream, syntheticReadings } from "./scan-readings.js";
import { measureWalk } from "./walk-memory.js";

const SIZES = (process.env.BENCH_MEMORY_SIZES ?? "25000,100000,200000").split(",").filter(Boolean).map(Number);
v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const live = () => {
  gc();
  return v8.getHeapStatistics().used_heap_size;
};

const database = await createTestDatabase();
const db = await openDatabase(database.url);

async function spoolOf(path: string, volumes: number, round: number): Promise<ReadingSpool> {
  const spool = await ReadingSpool.create([path]);
  for (const reading of syntheticReadingStream(volumes, round)) await spool.write(reading);
  await spool.finish();
  return spool;
}

/** Peak live heap above the live heap before, and peak RSS, while one scan runs; and how long it took. */
async function measure(domain: StorageDomain, spool: ReadingSpool) {
  const before = live();
  let peakHeap = before;
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, live());
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const t0 = performance.now();
  try {
    await db.transaction((em) => applyScan(em, domain, spool));
  } finally {
    clearInterval(sampler);
    await spool.dispose();
  }
  return { heap: peakHeap - before, rss: peakRss, s: (performance.now() - t0) / 1000 };
}

console.log(`load: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
await measureWalk(live, mib);
console.log("gateway side of a scan: peak live heap above the heap held before it (sampled after a forced GC), peak RSS");
for (const volumes of SIZES) {
  const [{ id }] = await db.query(`INSERT INTO storage_domain (name, path) VALUES ($1, $2) RETURNING id`, [
    `memory-${volumes}`,
    `/tmp/memory-${volumes}`,
  ]);
  const domain = (await db.getRepository(StorageDomain).findOneBy({ id }))!;
  const first = await measure(domain, await spoolOf(domain.path, volumes, 0));
  const again = await measure(domain, await spoolOf(domain.path, volumes, 1));
  // Reference: the readings and their plan held whole, as the scan did before it streamed.
  const before = live();
  const readings = syntheticReadings(volumes);
  const plan = planScan(readings);
  const held = live() - before;
  console.log(
    `${String(volumes).padStart(7)} volumes: first scan +${mib(first.heap)} (RSS ${mib(first.rss)}, ${first.s.toFixed(1)} s), ` +
      `rescan +${mib(again.heap)} (RSS ${mib(again.rss)}, ${again.s.toFixed(1)} s); ` +
      `readings + plan held whole: ${mib(held)} (${readings.length} readings, ${plan.disks.length} disks)`,
  );
}

await db.destroy();
await database.drop();
process.exit(0);
