import "reflect-metadata";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import type { DataSource } from "typeorm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.js";
import { isInside } from "../../src/domain/storage-path.js";
import { ScanState } from "../../src/entities/enums.js";
import { StorageDomain } from "../../src/entities/index.js";
import { openDatabase } from "../../src/server/database.js";
import { ReadingSpool } from "../../src/services/reading-spool.js";
import { requireTools } from "../support/require-tool.js";
import { scanInProcess } from "../support/scan-in-process.js";
import { createTestDatabase } from "../support/stack.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * A scan's readings go through a spool file on local disk: private (0700), never under a storage
 * root (even when TMPDIR is one), and removed whether the scan succeeds or fails.
 */
describe.runIf(requireTools("qemu-img"))("the scan's reading spool", () => {
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;
  let root: Awaited<ReturnType<typeof makeTempDir>>;
  const savedTmp = process.env.TMPDIR;
  const seen: { dir: string; mode: number; lines: number }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = await openDatabase(database.url);
    root = await makeTempDir("spool-root-");
    for (const domain of ["ok", "failing"]) {
      await fs.mkdir(path.join(root.path, domain));
      for (const name of ["a", "b", "c"])
        await execa("qemu-img", ["create", "-q", "-f", "qcow2", path.join(root.path, domain, `${name}.qcow2`), "16M"]);
    }
    // Whatever the spool holds when the write begins: proof it was used, where and how.
    const finish = ReadingSpool.prototype.finish;
    vi.spyOn(ReadingSpool.prototype, "finish").mockImplementation(async function (this: ReadingSpool) {
      await finish.call(this);
      const lines = (await fs.readFile(this.file, "utf8")).split("\n").length - 1;
      seen.push({ dir: this.dir, mode: (await fs.stat(this.dir)).mode & 0o777, lines });
    });
  }, 60_000);
  afterEach(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await db?.destroy();
    await database?.drop();
    await root?.remove();
  });

  const scan = async (name: string) => {
    const [{ id }] = await db.query(`INSERT INTO storage_domain (name, path) VALUES ($1, $2) RETURNING id`, [
      name,
      path.join(root.path, name),
    ]);
    const config = loadConfig({ STORAGE_ROOTS: root.path });
    await scanInProcess(db, config, id, name);
    return (await db.getRepository(StorageDomain).findOneBy({ id }))!;
  };

  it("is written private and outside the storage roots (TMPDIR inside one), then removed", async () => {
    process.env.TMPDIR = root.path; // a storage root: the spool must go elsewhere
    const domain = await scan("ok");
    expect(domain.scanState).toBe(ScanState.DONE);
    const spool = seen.at(-1)!;
    expect(spool.lines).toBe(3);
    expect(spool.mode).toBe(0o700);
    expect(isInside(spool.dir, await fs.realpath(root.path))).toBe(false);
    expect(existsSync(spool.dir)).toBe(false);
  }, 60_000);

  it("is removed when the write fails", async () => {
    const count = seen.length;
    await db.query(
      `CREATE FUNCTION refuse_volume() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$`,
    );
    await db.query(`CREATE TRIGGER refuse_volume BEFORE INSERT ON volume FOR EACH ROW EXECUTE FUNCTION refuse_volume()`);
    try {
      const domain = await scan("failing");
      expect(domain.scanState).toBe(ScanState.FAILED);
      expect(domain.scanError).toContain("disk full");
    } finally {
      await db.query(`DROP TRIGGER refuse_volume ON volume`);
    }
    expect(seen.length).toBe(count + 1);
    expect(existsSync(seen.at(-1)!.dir)).toBe(false);
  }, 60_000);
});
