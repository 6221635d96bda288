import type { EntityManager } from "typeorm";
import type { StorageDomain } from "../entities/index.js";
import type { VolumeReading } from "../host/scan/read-volumes.js";
import { copyRows, type CopyValue } from "./copy-rows.js";
import { refreshAssessments, refreshDomainAssessments } from "./disk-assessment.service.js";
import { diskFormatOf, planScan, volumeProblem, type ScanPlan } from "./scan-plan.js";

export interface ScanSummary {
  volumes: number;
  disks: number;
  newDisks: number;
  missingDisks: number;
}

// Staging tables, one per scan transaction (dropped at its commit). Typed like their targets so
// COPY parses every value once, and an unknown enum value fails the scan instead of storing it.
const STAGING_SQL = `
  CREATE TEMP TABLE scan_volume (
    rel_path text NOT NULL, format volume_format_enum NOT NULL, virtual_size bigint NOT NULL, actual_size bigint NOT NULL,
    backing_path text, backing_rel_path text, problem text, refusal_code text, file_device text, file_inode text,
    disk_base text, depth int
  ) ON COMMIT DROP;
  CREATE TEMP TABLE scan_disk (
    base_rel_path text NOT NULL, leaf_rel_path text NOT NULL, alias text NOT NULL, format disk_format_enum NOT NULL,
    virtual_size bigint NOT NULL, actual_size bigint NOT NULL, own_volume_count int NOT NULL, chain_problem text,
    status disk_status_enum NOT NULL, allocation disk_allocation_enum NOT NULL, allocation_source disk_allocationsource_enum NOT NULL,
    template_base text, inspection jsonb
  ) ON COMMIT DROP`;

const VOLUME_COLUMNS = ["rel_path", "format", "virtual_size", "actual_size", "backing_path", "backing_rel_path", "problem", "refusal_code", "file_device", "file_inode", "disk_base", "depth"];
const DISK_COLUMNS = ["base_rel_path", "leaf_rel_path", "alias", "format", "virtual_size", "actual_size", "own_volume_count", "chain_problem", "status", "allocation", "allocation_source", "template_base", "inspection"];

function* volumeRows(readings: readonly VolumeReading[], plan: ScanPlan): Generator<CopyValue[]> {
  for (const r of readings) {
    const place = plan.placeOf.get(r.relPath);
    yield [r.relPath, diskFormatOf(r.format), r.virtualSize, r.actualSize, r.backingPath, r.backingRelPath, volumeProblem(r), r.refusal?.code ?? null, r.fileDevice ?? null, r.fileInode ?? null, place?.diskBaseRelPath ?? null, place?.depth ?? null];
  }
}

function* diskRows(plan: ScanPlan): Generator<CopyValue[]> {
  for (const d of plan.disks) {
    yield [d.baseRelPath, d.leafRelPath, d.alias, d.format, d.virtualSize, d.actualSize, d.ownVolumeCount, d.chainProblem, d.status, d.allocation, d.allocationSource, d.templateBaseRelPath, d.inspection ? JSON.stringify(d.inspection) : null];
  }
}

/** What a rescan writes into an existing disk; a held lock and an admin's allocation stay. */
const DISK_UPDATES: [column: string, value: string][] = [
  ['"leafVolumeId"', 'EXCLUDED."leafVolumeId"'],
  ["alias", "EXCLUDED.alias"],
  ["format", "EXCLUDED.format"],
  ['"virtualSize"', 'EXCLUDED."virtualSize"'],
  ['"actualSize"', 'EXCLUDED."actualSize"'],
  ['"ownVolumeCount"', 'EXCLUDED."ownVolumeCount"'],
  ['"chainProblem"', 'EXCLUDED."chainProblem"'],
  // A running job holds the lock; the job itself refreshes the disk when it ends.
  ["status", `CASE WHEN disk.status = 'LOCKED' THEN disk.status ELSE EXCLUDED.status END`],
  ["allocation", `CASE WHEN disk."allocationSource" = 'SET_BY_USER' THEN disk.allocation ELSE EXCLUDED.allocation END`],
  ['"allocationSource"', `CASE WHEN disk."allocationSource" = 'SET_BY_USER' THEN disk."allocationSource" ELSE EXCLUDED."allocationSource" END`],
  ['"templateDiskId"', 'EXCLUDED."templateDiskId"'],
  ["inspection", "EXCLUDED.inspection"],
];

/**
 * Paths become ids by joins: an image keeps its volume id and a disk its id (found through its
 * base volume); new ones get fresh ids. With every id known first, each row is written once.
 */
const RESOLVE_VOLUMES_SQL = `
  CREATE TEMP TABLE scan_v ON COMMIT DROP AS
  SELECT s.*, COALESCE(old.id, gen_random_uuid()) AS id
    FROM scan_volume s LEFT JOIN volume old ON old."storageDomainId" = $1 AND old."relPath" = s.rel_path`;
const RESOLVE_DISKS_SQL = `
  CREATE TEMP TABLE scan_d ON COMMIT DROP AS
  SELECT s.*, base.id AS base_id, leaf.id AS leaf_id, COALESCE(old.id, gen_random_uuid()) AS id, old.id IS NULL AS fresh,
         old."templateDiskId" AS old_template
    FROM scan_disk s
    JOIN scan_v base ON base.rel_path = s.base_rel_path
    JOIN scan_v leaf ON leaf.rel_path = s.leaf_rel_path
    LEFT JOIN disk old ON old."baseVolumeId" = base.id`;

/** Volumes upserted with their disk and backing volume. */
const VOLUMES_SQL = `
  INSERT INTO volume AS vol (id, "storageDomainId", "relPath", format, "virtualSize", "actualSize", "backingVolumeId", "backingPath",
                             problem, "refusalCode", "inspectedAt", "fileDevice", "fileInode", depth, missing, "scannedAt", "diskId")
  SELECT v.id, $1, v.rel_path, v.format, v.virtual_size, v.actual_size, backing.id, v.backing_path,
         v.problem, v.refusal_code, $2, v.file_device, v.file_inode, COALESCE(v.depth, 0), false, $2, owner.id
    FROM scan_v v LEFT JOIN scan_v backing ON backing.rel_path = v.backing_rel_path LEFT JOIN scan_d owner ON owner.base_rel_path = v.disk_base
  ON CONFLICT (id) DO UPDATE SET
    format = EXCLUDED.format, "virtualSize" = EXCLUDED."virtualSize", "actualSize" = EXCLUDED."actualSize",
    "backingVolumeId" = EXCLUDED."backingVolumeId", "backingPath" = EXCLUDED."backingPath", problem = EXCLUDED.problem,
    "refusalCode" = EXCLUDED."refusalCode", "inspectedAt" = EXCLUDED."inspectedAt", "fileDevice" = EXCLUDED."fileDevice",
    "fileInode" = EXCLUDED."fileInode", depth = CASE WHEN EXCLUDED."diskId" IS NULL THEN vol.depth ELSE EXCLUDED.depth END,
    missing = false, "scannedAt" = EXCLUDED."scannedAt", "diskId" = EXCLUDED."diskId"`;

const VANISHED_VOLUMES_SQL = `
  UPDATE volume SET missing = true
   WHERE "storageDomainId" = $1 AND NOT missing AND NOT EXISTS (SELECT 1 FROM scan_volume s WHERE s.rel_path = volume."relPath")`;

/**
 * Disks upserted with their template; a row that would not change is not rewritten. Returns the
 * disks written with the templates they joined or left (their derived-disk lists changed).
 */
const DISKS_SQL = `
  WITH written AS (
    INSERT INTO disk (id, "storageDomainId", "baseVolumeId", "leafVolumeId", alias, format, "virtualSize", "actualSize", "ownVolumeCount",
                      "chainProblem", status, allocation, "allocationSource", "templateDiskId", inspection)
    SELECT d.id, $1, d.base_id, d.leaf_id, d.alias, d.format, d.virtual_size, d.actual_size, d.own_volume_count,
           d.chain_problem, d.status, d.allocation, d.allocation_source, template.id, d.inspection
      FROM scan_d d LEFT JOIN scan_d template ON template.base_rel_path = d.template_base
    ON CONFLICT (id) DO UPDATE SET ${DISK_UPDATES.map(([c, e]) => `${c} = ${e}`).join(", ")}, "updatedAt" = now()
     WHERE (${DISK_UPDATES.map(([c]) => `disk.${c}`).join(", ")}) IS DISTINCT FROM (${DISK_UPDATES.map(([, e]) => e).join(", ")})
    RETURNING disk.id, disk."templateDiskId"
  )
  SELECT w.id, w."templateDiskId" AS template, d.old_template AS "oldTemplate" FROM written w JOIN scan_d d USING (id)`;

const MISSING_DISKS_SQL = `
  UPDATE disk SET status = 'MISSING', "updatedAt" = now()
   WHERE "storageDomainId" = $1 AND status <> 'MISSING' AND NOT EXISTS (SELECT 1 FROM scan_d d WHERE d.id = disk.id)
  RETURNING disk.id, disk."templateDiskId" AS template`;

export interface ApplyScanOptions {
  /** A fact of the domain itself changed (its NFS version): every disk's blockers are recomputed. */
  domainChanged?: boolean;
  now?: Date;
}

/**
 * Stores what a host read from a domain. Idempotent: volumes are keyed by path, disks by their
 * base volume, so a rescan updates rows in place. What vanished is marked MISSING, never deleted.
 * Set-based: the readings are streamed with COPY into two staging tables and applied by one
 * statement, so the number of statements does not grow with the domain. Needs a transaction.
 * The blocker rules then run again for the disks whose stored facts the scan changed (every other
 * change of a fact refreshes its own disks), or for all of them when `domainChanged`.
 */
export async function applyScan(em: EntityManager, domain: StorageDomain, readings: readonly VolumeReading[], options: ApplyScanOptions = {}): Promise<ScanSummary> {
  const now = options.now ?? new Date();
  const plan = planScan(readings);
  await em.query(STAGING_SQL);
  await copyRows(em, "scan_volume", VOLUME_COLUMNS, volumeRows(readings, plan));
  await copyRows(em, "scan_disk", DISK_COLUMNS, diskRows(plan));
  // Fresh temporary tables have no statistics: without them the planner joins them by nested loops.
  await em.query(RESOLVE_VOLUMES_SQL, [domain.id]);
  await em.query("ANALYZE scan_v");
  await em.query(RESOLVE_DISKS_SQL);
  await em.query("ANALYZE scan_d");
  await em.query(VOLUMES_SQL, [domain.id, now]);
  await em.query(VANISHED_VOLUMES_SQL, [domain.id]);
  const written = (await em.query(DISKS_SQL, [domain.id])) as { id: string; template: string | null; oldTemplate: string | null }[];
  const missing = (await em.query(MISSING_DISKS_SQL, [domain.id])) as [{ id: string; template: string | null }[], number];
  const [{ newDisks }] = (await em.query(`SELECT count(*) FILTER (WHERE fresh)::int AS "newDisks" FROM scan_d`)) as [{ newDisks: number }];
  if (options.domainChanged) await refreshDomainAssessments(em, domain.id);
  else {
    const touched = [...written.flatMap((w) => [w.id, w.template, w.oldTemplate]), ...missing[0].flatMap((m) => [m.id, m.template])];
    await refreshAssessments(em, [...new Set(touched.filter((id): id is string => id !== null))]);
  }
  return { volumes: readings.length, disks: plan.disks.length, newDisks, missingDisks: missing[0].length };
}
