import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { VolumeReading } from "../src/host/scan/read-volumes.js";
import { copyText, type CopyValue } from "../src/services/copy-rows.js";
import { diskFormatOf, planScan, volumeProblem } from "../src/services/scan-plan.js";

/**
 * The raw floor of bench:scan: every row the scan stores (volume rows AND disk rows, with the
 * disks' ids, links, blockers and warnings), prepared in memory beforehand (not timed), then per
 * load: `COPY` each into a temporary table and upsert each with one statement into tables made
 * `LIKE volume/disk INCLUDING ALL` (same columns, defaults and indexes, trigram one included).
 * The upserts skip rows that did not change, as the fastest raw SQL would.
 */
export interface FloorRows {
  volumes: CopyValue[][];
  disks: CopyValue[][];
}

/** What the scan stored for each disk that the readings alone do not give: its assessment. */
export type Assessment = { sparsifiable: boolean; blockers: string; warnings: string };

const VOLUME_COLUMNS = [
  "id",
  '"storageDomainId"',
  '"relPath"',
  "format",
  '"virtualSize"',
  '"actualSize"',
  '"backingVolumeId"',
  '"backingPath"',
  "problem",
  '"refusalCode"',
  '"inspectedAt"',
  '"fileDevice"',
  '"fileInode"',
  "depth",
  "missing",
  '"scannedAt"',
  '"diskId"',
];
const DISK_COLUMNS = [
  "id",
  '"storageDomainId"',
  '"baseVolumeId"',
  '"leafVolumeId"',
  "alias",
  "format",
  '"virtualSize"',
  '"actualSize"',
  '"ownVolumeCount"',
  '"chainProblem"',
  "status",
  "allocation",
  '"allocationSource"',
  '"templateDiskId"',
  "inspection",
  "sparsifiable",
  "blockers",
  "warnings",
];

/** Stable ids by path, so every load after the first hits the same rows, as a rescan does. */
const ids = new Map<string, string>();
const idOf = (key: string) => ids.get(key) ?? (ids.set(key, randomUUID()), ids.get(key)!);

export function floorRows(
  domainId: string,
  readings: readonly VolumeReading[],
  assessmentOf: (base: string) => Assessment,
): FloorRows {
  const plan = planScan(readings);
  const now = new Date().toISOString();
  const volumes = readings.map((r) => {
    const place = plan.placeOf.get(r.relPath);
    return [
      idOf(`v:${r.relPath}`),
      domainId,
      r.relPath,
      diskFormatOf(r.format),
      r.virtualSize,
      r.actualSize,
      r.backingRelPath ? idOf(`v:${r.backingRelPath}`) : null,
      r.backingPath,
      volumeProblem(r),
      r.refusal?.code ?? null,
      now,
      r.fileDevice ?? null,
      r.fileInode ?? null,
      place?.depth ?? 0,
      false,
      now,
      place ? idOf(`d:${place.diskBaseRelPath}`) : null,
    ];
  });
  const disks = plan.disks.map((d) => {
    const a = assessmentOf(d.baseRelPath);
    return [
      idOf(`d:${d.baseRelPath}`),
      domainId,
      idOf(`v:${d.baseRelPath}`),
      idOf(`v:${d.leafRelPath}`),
      d.alias,
      d.format,
      d.virtualSize,
      d.actualSize,
      d.ownVolumeCount,
      d.chainProblem,
      d.status,
      d.allocation,
      d.allocationSource,
      d.templateBaseRelPath ? idOf(`d:${d.templateBaseRelPath}`) : null,
      d.inspection ? JSON.stringify(d.inspection) : null,
      a.sparsifiable,
      a.blockers,
      a.warnings,
    ];
  });
  return { volumes, disks };
}

export async function createFloorTables(raw: pg.Client): Promise<void> {
  await raw.query(`CREATE TABLE floor_volume (LIKE volume INCLUDING ALL)`);
  await raw.query(`CREATE TABLE floor_disk (LIKE disk INCLUDING ALL)`);
}

async function copyInto(raw: pg.Client, table: string, columns: string[], rows: CopyValue[][]): Promise<void> {
  async function* text() {
    for (let i = 0; i < rows.length; i += 1000)
      yield (
        rows
          .slice(i, i + 1000)
          .map((r) => r.map(copyText).join("\t"))
          .join("\n") + "\n"
      );
  }
  await pipeline(Readable.from(text()), raw.query(copyFrom(`COPY ${table} (${columns.join(", ")}) FROM STDIN`)));
}

/** One upsert: insert the new rows, update only the rows whose values differ. */
function upsertSql(target: string, staging: string, columns: string[], key: string): string {
  const rest = columns.filter((c) => c !== "id" && c !== key);
  return `INSERT INTO ${target} (${columns.join(", ")}) SELECT ${columns.join(", ")} FROM ${staging}
    ON CONFLICT (${key}) DO UPDATE SET ${rest.map((c) => `${c} = EXCLUDED.${c}`).join(", ")}
    WHERE (${rest.map((c) => `${target}.${c}`).join(", ")}) IS DISTINCT FROM (${rest.map((c) => `EXCLUDED.${c}`).join(", ")})`;
}

/** One load of the floor, in one transaction. */
export async function loadFloor(raw: pg.Client, rows: FloorRows): Promise<void> {
  await raw.query("BEGIN");
  await raw.query(`CREATE TEMP TABLE raw_volume (LIKE volume INCLUDING DEFAULTS) ON COMMIT DROP`);
  await raw.query(`CREATE TEMP TABLE raw_disk (LIKE disk INCLUDING DEFAULTS) ON COMMIT DROP`);
  await copyInto(raw, "raw_volume", VOLUME_COLUMNS, rows.volumes);
  await copyInto(raw, "raw_disk", DISK_COLUMNS, rows.disks);
  await raw.query(upsertSql("floor_volume", "raw_volume", VOLUME_COLUMNS, "id"));
  await raw.query(upsertSql("floor_disk", "raw_disk", DISK_COLUMNS, "id"));
  await raw.query("COMMIT");
}
