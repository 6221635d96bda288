import "reflect-metadata";
import type { DataSource } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StorageDomain } from "../../src/entities/index.js";
import { InspectionCode } from "../../src/host/inspect/inspection-code.js";
import type { VolumeReading } from "../../src/host/scan/read-volumes.js";
import { openDatabase } from "../../src/server/database.js";
import { applyScan } from "../../src/services/inventory-writer.js";
import { planScan } from "../../src/services/scan-plan.js";
import { createTestDatabase } from "../support/stack.js";
import { reading } from "../support/volume-reading.js";

/** A small deterministic generator (mulberry32), so a failing domain can be replayed by its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// Names a path may hold: COPY's separators and escape, a newline before the extension, upper case.
const NAMES = ["d", "a\tb", "new\nline", "back\\slash", "UP", "x.qcow2.raw", "é"];
const EXTENSIONS = [".qcow2", ".raw", ".img", ".QCOW2"];

/**
 * A random domain: chains, snapshots, templates (one volume backing several), backing files that
 * were not read, loops (pure ones and ones below a top), problems, refusals, unreadable and
 * preallocated images: every branch of the grouping rules.
 */
function randomDomain(seed: number): VolumeReading[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const n = 1 + Math.floor(next() * 40);
  const paths = Array.from({ length: n }, (_, i) => `vm-${i % 3}/${pick(NAMES)}-${i}${pick(EXTENSIONS)}`);
  return paths.map((relPath, i) => {
    const roll = next();
    // Mostly an image below (chains, templates), sometimes above (loops) or one that was not read.
    const backingRelPath =
      roll < 0.4 ? null : roll < 0.8 && i > 0 ? paths[Math.floor(next() * i)]! : roll < 0.93 ? pick(paths) : `gone-${i}.qcow2`;
    const full = next() < 0.15;
    return reading(relPath, {
      format: relPath.toLowerCase().endsWith(".qcow2") ? "qcow2" : "raw",
      virtualSize: 2 ** 30,
      actualSize: full ? 2 ** 30 : Math.floor(next() * 2 ** 24),
      backingRelPath,
      backingPath: backingRelPath ? `/storage/${backingRelPath}` : null,
      problem: next() < 0.15 ? `problem of ${relPath}` : null,
      unreadable: next() < 0.1,
      refusal: next() < 0.15 ? { code: InspectionCode.UNKNOWN_FEATURES, message: `bit ${i}\tof ${relPath}` } : null,
      allocatedClusters: full || next() < 0.2 ? 100 : 10,
      totalClusters: 100,
      fileInode: String(i),
    });
  });
}

/** The readings in another order (the walk's order is the storage's, and the lanes finish in any order). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const next = random(seed * 7919);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/**
 * The scan groups a domain's images into disks in SQL, never holding the domain in memory; the
 * rules are stated once, as pure functions (`planScan` over `groupVolumesIntoDisks`, table
 * tested). What the scan stores must be exactly what those functions plan, on many random domains.
 */
describe("the scan's grouping in SQL", () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url);
  }, 60_000);
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const stored = async (domainId: string) => {
    const disks = (await db.query(
      `SELECT base."relPath" AS "baseRelPath", leaf."relPath" AS "leafRelPath", d.alias, d.format, d."virtualSize"::float8 AS "virtualSize",
              d."actualSize"::float8 AS "actualSize", d."ownVolumeCount", d."chainProblem", d.status, d.allocation,
              d."allocationSource", tb."relPath" AS "templateBaseRelPath", d.inspection
         FROM disk d JOIN volume base ON base.id = d."baseVolumeId" JOIN volume leaf ON leaf.id = d."leafVolumeId"
         LEFT JOIN disk t ON t.id = d."templateDiskId" LEFT JOIN volume tb ON tb.id = t."baseVolumeId"
        WHERE d."storageDomainId" = $1`,
      [domainId],
    )) as Record<string, unknown>[];
    const places = (await db.query(
      `SELECT v."relPath", base."relPath" AS "diskBaseRelPath", v.depth
         FROM volume v JOIN disk d ON d.id = v."diskId" JOIN volume base ON base.id = d."baseVolumeId"
        WHERE v."storageDomainId" = $1`,
      [domainId],
    )) as { relPath: string; diskBaseRelPath: string; depth: number }[];
    return { disks, places };
  };
  const byBase = (a: { baseRelPath?: unknown }, b: { baseRelPath?: unknown }) =>
    String(a.baseRelPath) < String(b.baseRelPath) ? -1 : 1;

  it("stores every disk, and every volume's place, as planScan plans them, whatever the readings' order (200 random domains)", async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const readings = randomDomain(seed);
      const [{ id }] = await db.query(`INSERT INTO storage_domain (name, path) VALUES ($1, $2) RETURNING id`, [
        `random-${seed}`,
        `/tmp/random-${seed}`,
      ]);
      const domain = (await db.getRepository(StorageDomain).findOneBy({ id }))!;
      await db.transaction((em) => applyScan(em, domain, shuffled(readings, seed)));
      const plan = planScan(readings);
      const { disks, places } = await stored(id);
      expect(disks.sort(byBase), `seed ${seed}`).toEqual(plan.disks.map((d) => ({ ...d })).sort(byBase));
      const planned = [...plan.placeOf].map(([relPath, place]) => ({ relPath, ...place }));
      const key = (p: { relPath: string }) => p.relPath;
      expect(
        places.sort((a, b) => (key(a) < key(b) ? -1 : 1)),
        `seed ${seed}`,
      ).toEqual(planned.sort((a, b) => (key(a) < key(b) ? -1 : 1)));
    }
  }, 180_000);
});
