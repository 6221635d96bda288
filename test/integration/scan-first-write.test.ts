import "reflect-metadata";
import type { DataSource } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StorageDomain } from "../../src/entities/index.js";
import { InspectionCode } from "../../src/host/inspect/inspection-code.js";
import { openDatabase } from "../../src/server/database.js";
import { refreshAssessments } from "../../src/services/disk-assessment.service.js";
import { applyScan } from "../../src/services/inventory-writer.js";
import { createTestDatabase } from "../support/stack.js";
import { reading } from "../support/volume-reading.js";

const on = (base: string) => ({ backingRelPath: base, backingPath: `/x/${base}` });

/**
 * A first scan writes each new disk once, its blockers included (a disk row carries 14 indexes),
 * and what it writes is exactly what the blocker rules store when they run on the stored disks.
 */
describe("a scan's new disks", () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url);
    // Every UPDATE of a disk row, by id: a real trigger, so nothing of the writer is replaced.
    await db.query(`CREATE TABLE disk_update_log (id uuid NOT NULL)`);
    await db.query(`CREATE FUNCTION log_disk_update() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN INSERT INTO disk_update_log VALUES (NEW.id); RETURN NEW; END $$`);
    await db.query(`CREATE TRIGGER disk_update_log AFTER UPDATE ON disk FOR EACH ROW EXECUTE FUNCTION log_disk_update()`);
  }, 60_000);
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const readings = [
    reading("plain.qcow2"),
    reading("refused.qcow2", { refusal: { code: InspectionCode.UNKNOWN_FEATURES, message: "incompatible feature bit 9" } }),
    reading("broken.qcow2", { unreadable: true, problem: "broken.qcow2 cannot be read as qcow2: bad header" }),
    reading("raw.img", { format: "raw", actualSize: 2 ** 30 }),
    reading("snap-base.qcow2"),
    reading("snap-top.qcow2", on("snap-base.qcow2")),
    // A template: two disks on one shared base.
    reading("tpl.qcow2"),
    reading("vm-a.qcow2", on("tpl.qcow2")),
    reading("vm-b.qcow2", on("tpl.qcow2")),
  ];

  it("are written once, with the assessment the blocker rules give; only a template is assessed after the write", async () => {
    const [{ id }] = await db.query(`INSERT INTO storage_domain (name, path) VALUES ('first', '/tmp/first') RETURNING id`);
    const domain = (await db.getRepository(StorageDomain).findOneBy({ id }))!;
    const summary = await db.transaction((em) => applyScan(em, domain, readings));
    expect(summary).toMatchObject({ disks: 8, newDisks: 8, missingDisks: 0 });

    const stored = async () =>
      (await db.query(
        `SELECT id, alias, sparsifiable, blockers, warnings FROM disk WHERE "storageDomainId" = $1 ORDER BY alias`,
        [id],
      )) as {
        id: string;
        alias: string;
        sparsifiable: boolean;
        blockers: { code: string }[];
        warnings: unknown[];
      }[];
    const written = await stored();
    const rewritten = (await db.query(`SELECT DISTINCT d.alias FROM disk_update_log l JOIN disk d USING (id)`)) as {
      alias: string;
    }[];
    expect(rewritten.map((r) => r.alias)).toEqual(["tpl"]);
    // The rules really ran on them: a refused, an illegal and a template disk are blocked, a plain one is not.
    const byAlias = new Map(written.map((d) => [d.alias, d]));
    expect(byAlias.get("plain")!.sparsifiable).toBe(true);
    for (const alias of ["refused", "broken", "tpl"]) expect(byAlias.get(alias)!.blockers.length, alias).toBeGreaterThan(0);

    // Running the rules on the stored disks changes nothing: no row rewritten, the same values.
    await db.query(`TRUNCATE disk_update_log`);
    await db.transaction((em) =>
      refreshAssessments(
        em,
        written.map((d) => d.id),
      ),
    );
    expect(await db.query(`SELECT count(*)::int AS n FROM disk_update_log`)).toEqual([{ n: 0 }]);
    expect(await stored()).toEqual(written);
  });

  it("an existing template a new disk joins is assessed again: its derived-disk list grew", async () => {
    const [{ id }] = await db.query(`INSERT INTO storage_domain (name, path) VALUES ('joins', '/tmp/joins') RETURNING id`);
    const domain = (await db.getRepository(StorageDomain).findOneBy({ id }))!;
    await db.transaction((em) => applyScan(em, domain, readings));
    const more = [...readings, reading("vm-c.qcow2", on("tpl.qcow2"))];
    const summary = await db.transaction((em) => applyScan(em, domain, more));
    expect(summary).toMatchObject({ newDisks: 1 });
    const [tpl] = (await db.query(`SELECT blockers FROM disk WHERE "storageDomainId" = $1 AND alias = 'tpl'`, [id])) as {
      blockers: { message: string }[];
    }[];
    expect(tpl!.blockers.map((b) => b.message).join(" ")).toContain("template of 3 other disk(s) (vm-a, vm-b, vm-c)");
  });

  it("with a changed domain fact, the new disks are not assessed twice either", async () => {
    const [{ id }] = await db.query(
      `INSERT INTO storage_domain (name, path, "nfsVersion") VALUES ('nfs', '/tmp/nfs', '3') RETURNING id`,
    );
    const domain = (await db.getRepository(StorageDomain).findOneBy({ id }))!;
    await db.query(`TRUNCATE disk_update_log`);
    await db.transaction((em) => applyScan(em, domain, readings, { domainChanged: true }));
    const rewritten = (await db.query(`SELECT DISTINCT d.alias FROM disk_update_log l JOIN disk d USING (id)`)) as {
      alias: string;
    }[];
    expect(rewritten.map((r) => r.alias)).toEqual(["tpl"]);
    const open = (await db.query(`SELECT count(*)::int AS n FROM disk WHERE "storageDomainId" = $1 AND sparsifiable`, [id])) as {
      n: number;
    }[];
    expect(open).toEqual([{ n: 0 }]); // NFS 3 cannot discard: every disk blocked, assessed with the domain's facts
  });
});
