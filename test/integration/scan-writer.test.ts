import "reflect-metadata";
import pg from "pg";
import type { DataSource } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StorageDomain } from "../../src/entities/index.js";
import type { VolumeReading } from "../../src/host/scan/read-volumes.js";
import { openDatabase } from "../../src/server/database.js";
import { applyScan } from "../../src/services/inventory-writer.js";
import { createTestDatabase } from "../support/stack.js";
import { reading } from "../support/volume-reading.js";

/** `n` disks; every tenth has a snapshot layer. `grown` grows the disks whose number it accepts. */
const domainOf = (n: number, grown: (i: number) => boolean = () => false): VolumeReading[] =>
  Array.from({ length: n }, (_, i) => {
    const base = reading(`d${i}.qcow2`, { actualSize: 2 ** 20 + (grown(i) ? 4096 : 0) });
    return i % 10 === 0
      ? [base, reading(`d${i}.s1.qcow2`, { backingRelPath: base.relPath, backingPath: `/x/${base.relPath}` })]
      : [base];
  }).flat();

/**
 * The scan's write path on synthetic readings (the host's part is covered by the scan tests): set
 * based, so its statements do not grow with the domain, and every rule of a rescan kept.
 */
describe("applyScan, in bulk", () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;
  let statements = 0;
  const original = pg.Client.prototype.query;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url);
    pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
      statements++;
      return (original as (...x: unknown[]) => unknown).apply(this, a);
    } as typeof original;
  }, 60_000);
  afterAll(async () => {
    pg.Client.prototype.query = original;
    await db?.destroy();
    await database?.drop();
  });

  const newDomain = async (name: string) => {
    const [{ id }] = await db.query(`INSERT INTO storage_domain (name, path) VALUES ($1, $2) RETURNING id`, [
      name,
      `/tmp/${name}`,
    ]);
    return (await db.getRepository(StorageDomain).findOneBy({ id }))!;
  };
  const scan = async (domain: StorageDomain, readings: VolumeReading[]) => {
    await new Promise((r) => setTimeout(r, 5)); // each scan its own timestamp
    statements = 0;
    const summary = await db.transaction((em) => applyScan(em, domain, readings));
    return { summary, statements };
  };

  it("a rescan sends as many statements for 3,000 disks as for 300", async () => {
    const small = await newDomain("small");
    const big = await newDomain("big");
    await scan(small, domainOf(300));
    await scan(big, domainOf(3000));
    // One disk in ten grew: fewer than 2,000 disks to assess again, one chunk of the rules each.
    const a = await scan(
      small,
      domainOf(300, (i) => i % 10 === 3),
    );
    const b = await scan(
      big,
      domainOf(3000, (i) => i % 10 === 3),
    );
    expect(b.summary).toEqual({ volumes: 3300, disks: 3000, newDisks: 0, missingDisks: 0 });
    expect(b.statements).toBe(a.statements);
    expect(b.statements).toBeLessThan(30);
  });

  it("keeps ids, locks and an admin's allocation; rewrites only changed disks; marks what vanished", async () => {
    const domain = await newDomain("rules");
    const first = await scan(domain, domainOf(20));
    expect(first.summary).toEqual({ volumes: 22, disks: 20, newDisks: 20, missingDisks: 0 });
    const before = new Map<string, any>(
      (
        await db.query(`SELECT alias, id, "updatedAt", "baseVolumeId", "leafVolumeId" FROM disk WHERE "storageDomainId" = $1`, [
          domain.id,
        ])
      ).map((r: any) => [r.alias, r]),
    );
    await db.query(`UPDATE disk SET status = 'LOCKED' WHERE alias = 'd1' AND "storageDomainId" = $1`, [domain.id]);
    await db.query(
      `UPDATE disk SET allocation = 'PREALLOCATED', "allocationSource" = 'SET_BY_USER' WHERE alias = 'd2' AND "storageDomainId" = $1`,
      [domain.id],
    );

    // d3 grew, d4 became unreadable, d5 vanished, d0 got a second snapshot on top, d99 is new.
    const next = domainOf(20, (i) => i === 3)
      .filter((r) => !r.relPath.startsWith("d5."))
      .map((r) => (r.relPath === "d4.qcow2" ? { ...r, unreadable: true, problem: "d4.qcow2 is marked corrupt by qemu" } : r));
    next.push(reading("d0.s2.qcow2", { backingRelPath: "d0.s1.qcow2", backingPath: "/x/d0.s1.qcow2" }), reading("d99.qcow2"));
    const second = await scan(domain, next);
    expect(second.summary).toEqual({ volumes: 23, disks: 20, newDisks: 1, missingDisks: 1 });

    const after = new Map<string, any>(
      (await db.query(`SELECT * FROM disk WHERE "storageDomainId" = $1`, [domain.id])).map((r: any) => [r.alias, r]),
    );
    for (const alias of ["d0", "d1", "d2", "d3", "d4", "d5", "d6"]) expect(after.get(alias).id, alias).toBe(before.get(alias).id);
    expect(after.get("d1").status).toBe("LOCKED");
    expect(after.get("d2")).toMatchObject({ allocation: "PREALLOCATED", allocationSource: "SET_BY_USER" });
    expect(after.get("d3").actualSize).toBe(String(2 ** 20 + 4096));
    expect(after.get("d4")).toMatchObject({ status: "ILLEGAL", sparsifiable: false });
    expect(after.get("d4").blockers.map((b: any) => b.code)).toContain("DISK_ILLEGAL");
    expect(after.get("d5")).toMatchObject({ status: "MISSING", sparsifiable: false });
    expect(after.get("d0")).toMatchObject({ ownVolumeCount: 3, baseVolumeId: before.get("d0").baseVolumeId });
    expect(after.get("d0").leafVolumeId).not.toBe(before.get("d0").leafVolumeId);
    // Unchanged disks are not rewritten.
    expect(after.get("d6").updatedAt).toEqual(before.get("d6").updatedAt);
    expect(after.get("d3").updatedAt).not.toEqual(before.get("d3").updatedAt);
    const scanned = new Map<string, any>(
      (await db.query(`SELECT "relPath", "scannedAt" FROM volume WHERE "storageDomainId" = $1`, [domain.id])).map((r: any) => [
        r.relPath,
        r.scannedAt,
      ]),
    );
    expect(scanned.get("d3.qcow2")).not.toEqual(scanned.get("d6.qcow2")); // d6's volume was not rewritten either

    const volumes = await db.query(
      `SELECT v."relPath", v.depth, v.missing, d.alias, b."relPath" AS backing FROM volume v LEFT JOIN disk d ON d.id = v."diskId"
        LEFT JOIN volume b ON b.id = v."backingVolumeId"
        WHERE v."storageDomainId" = $1 AND v."relPath" LIKE ANY ('{d0.%,d5.%}') ORDER BY v."relPath"`,
      [domain.id],
    );
    expect(volumes).toEqual([
      { relPath: "d0.qcow2", depth: 2, missing: false, alias: "d0", backing: null },
      { relPath: "d0.s1.qcow2", depth: 1, missing: false, alias: "d0", backing: "d0.qcow2" },
      { relPath: "d0.s2.qcow2", depth: 0, missing: false, alias: "d0", backing: "d0.s1.qcow2" },
      { relPath: "d5.qcow2", depth: 0, missing: true, alias: "d5", backing: null },
    ]);
  });

  it("stores file names with tabs, newlines and backslashes exactly", async () => {
    const domain = await newDomain("names");
    const names = ["tab\there.raw", "new\nline.qcow2", "back\\slash\\N.img", "quote\"'.raw"];
    await scan(
      domain,
      names.map((n) => reading(n, { format: n.endsWith(".qcow2") ? "qcow2" : "raw" })),
    );
    const rows = await db.query(`SELECT "relPath", format FROM volume WHERE "storageDomainId" = $1 ORDER BY "relPath"`, [
      domain.id,
    ]);
    expect(rows.map((r: any) => r.relPath).sort()).toEqual([...names].sort());
    expect(rows.find((r: any) => r.relPath === "new\nline.qcow2").format).toBe("QCOW2");
  });
});
