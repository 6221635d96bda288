import type { EntityManager } from "typeorm";
import type { StorageDomain } from "../entities/index.js";
import type { VolumeReading } from "../host/scan/read-volumes.js";
import { copyRows, type CopyValue } from "./copy-rows.js";
import { refreshAssessments } from "./disk-assessment.service.js";
import { freshAssessments, type FreshAssessment } from "./fresh-disk-assessment.js";
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
    template_base text, inspection jsonb, sparsifiable boolean, blockers jsonb, warnings jsonb
  ) ON COMMIT DROP`;

const VOLUME_COLUMNS = [
  "rel_path",
  "format",
  "virtual_size",
  "actual_size",
  "backing_path",
  "backing_rel_path",
  "problem",
  "refusal_code",
  "file_device",
  "file_inode",
  "disk_base",
  "depth",
];
const DISK_COLUMNS = [
  "base_rel_path",
  "leaf_rel_path",
  "alias",
  "format",
  "virtual_size",
  "actual_size",
  "own_volume_count",
  "chain_problem",
  "status",
  "allocation",
  "allocation_source",
  "template_base",
  "inspection",
  "sparsifiable",
  "blockers",
  "warnings",
];

function* volumeRows(readings: readonly VolumeReading[], plan: ScanPlan): Generator<CopyValue[]> {
  for (const r of readings) {
    const place = plan.placeOf.get(r.relPath);
    yield [
      r.relPath,
      diskFormatOf(r.format),
      r.virtualSize,
      r.actualSize,
      r.backingPath,
      r.backingRelPath,
      volumeProblem(r),
      r.refusal?.code ?? null,
      r.fileDevice ?? null,
      r.fileInode ?? null,
      place?.diskBaseRelPath ?? null,
      place?.depth ?? null,
    ];
  }
}

/** A disk's assessment rides along for when the disk is new; null: read after the write (a template). */
function* diskRows(plan: ScanPlan, assessed: readonly (FreshAssessment | undefined)[]): Generator<CopyValue[]> {
  for (const [i, d] of plan.disks.entries()) {
    const a = assessed[i];
    yield [
      d.baseRelPath,
      d.leafRelPath,
      d.alias,
      d.format,
      d.virtualSize,
      d.actualSize,
      d.ownVolumeCount,
      d.chainProblem,
      d.status,
      d.allocation,
      d.allocationSource,
      d.templateBaseRelPath,
      d.inspection ? JSON.stringify(d.inspection) : null,
      a?.sparsifiable ?? null,
      a?.blockers ?? null,
      a?.warnings ?? null,
    ];
  }
}

/** Sets `column = value` for the rows whose values differ, and only those: a diff, not a rewrite. */
const diffSet = (target: string, pairs: readonly (readonly [column: string, value: string])[]) => ({
  set: pairs.map(([c, v]) => `${c} = ${v}`).join(", "),
  changed: `(${pairs.map(([c]) => `${target}.${c}`).join(", ")}) IS DISTINCT FROM (${pairs.map(([, v]) => v).join(", ")})`,
});

/**
 * Paths become ids by joins: an image keeps its volume id and a disk its id (found through its
 * base volume); new ones get fresh ids. With every id known first, each row is written once.
 */
const RESOLVE_VOLUMES_SQL = `
  CREATE TEMP TABLE scan_v ON COMMIT DROP AS
  SELECT s.*, COALESCE(old.id, gen_random_uuid()) AS id, old.id IS NULL AS fresh
    FROM scan_volume s LEFT JOIN volume old ON old."storageDomainId" = $1 AND old."relPath" = s.rel_path`;
const RESOLVE_DISKS_SQL = `
  CREATE TEMP TABLE scan_d ON COMMIT DROP AS
  SELECT s.*, base.id AS base_id, leaf.id AS leaf_id, COALESCE(old.id, gen_random_uuid()) AS id, old.id IS NULL AS fresh,
         old."templateDiskId" AS old_template
    FROM scan_disk s
    JOIN scan_v base ON base.rel_path = s.base_rel_path
    JOIN scan_v leaf ON leaf.rel_path = s.leaf_rel_path
    LEFT JOIN disk old ON old."baseVolumeId" = base.id`;

/** Each image's new row, with its disk and backing volume. */
const NEW_VOLUME_ROWS = `
  SELECT v.id, v.fresh, v.rel_path, v.format, v.virtual_size, v.actual_size, backing.id AS backing_id, v.backing_path, v.problem,
         v.refusal_code, v.file_device, v.file_inode, v.depth, owner.id AS disk_id
    FROM scan_v v
    LEFT JOIN scan_v backing ON backing.rel_path = v.backing_rel_path
    LEFT JOIN scan_d owner ON owner.base_rel_path = v.disk_base`;

// When a row changed, its scannedAt and inspectedAt say when; the domain's lastScannedAt says when it was read.
const VOLUME_DIFF = diffSet("volume", [
  ["format", "n.format"],
  ['"virtualSize"', "n.virtual_size"],
  ['"actualSize"', "n.actual_size"],
  ['"backingVolumeId"', "n.backing_id"],
  ['"backingPath"', "n.backing_path"],
  ["problem", "n.problem"],
  ['"refusalCode"', "n.refusal_code"],
  ['"fileDevice"', "n.file_device"],
  ['"fileInode"', "n.file_inode"],
  ["missing", "false"],
  ['"diskId"', "n.disk_id"],
  // A volume no disk owns (a stranded loop) keeps its depth.
  ["depth", "COALESCE(n.depth, volume.depth)"],
]);
const UPDATE_VOLUMES_SQL = `
  UPDATE volume SET ${VOLUME_DIFF.set}, "scannedAt" = $1, "inspectedAt" = $1
    FROM (${NEW_VOLUME_ROWS}) n
   WHERE volume.id = n.id AND NOT n.fresh AND (${VOLUME_DIFF.changed} OR volume."inspectedAt" IS NULL OR volume."scannedAt" IS NULL)`;
const INSERT_VOLUMES_SQL = `
  INSERT INTO volume (id, "storageDomainId", "relPath", format, "virtualSize", "actualSize", "backingVolumeId", "backingPath",
                      problem, "refusalCode", "inspectedAt", "fileDevice", "fileInode", depth, missing, "scannedAt", "diskId")
  SELECT n.id, $1, n.rel_path, n.format, n.virtual_size, n.actual_size, n.backing_id, n.backing_path,
         n.problem, n.refusal_code, $2, n.file_device, n.file_inode, COALESCE(n.depth, 0), false, $2, n.disk_id
    FROM (${NEW_VOLUME_ROWS}) n WHERE n.fresh`;

const VANISHED_VOLUMES_SQL = `
  UPDATE volume SET missing = true
   WHERE "storageDomainId" = $1 AND NOT missing AND NOT EXISTS (SELECT 1 FROM scan_volume s WHERE s.rel_path = volume."relPath")`;

/** Each disk's new row, with its template. */
const NEW_DISK_ROWS = `
  SELECT d.*, template.id AS template_id FROM scan_d d LEFT JOIN scan_d template ON template.base_rel_path = d.template_base`;

/** What a rescan writes into an existing disk; a held lock and an admin's allocation stay. */
const DISK_DIFF = diffSet("disk", [
  ['"leafVolumeId"', "n.leaf_id"],
  ["alias", "n.alias"],
  ["format", "n.format"],
  ['"virtualSize"', "n.virtual_size"],
  ['"actualSize"', "n.actual_size"],
  ['"ownVolumeCount"', "n.own_volume_count"],
  ['"chainProblem"', "n.chain_problem"],
  // A running job holds the lock; the job itself refreshes the disk when it ends.
  ["status", `CASE WHEN disk.status = 'LOCKED' THEN disk.status ELSE n.status END`],
  ["allocation", `CASE WHEN disk."allocationSource" = 'SET_BY_USER' THEN disk.allocation ELSE n.allocation END`],
  [
    '"allocationSource"',
    `CASE WHEN disk."allocationSource" = 'SET_BY_USER' THEN disk."allocationSource" ELSE n.allocation_source END`,
  ],
  ['"templateDiskId"', "n.template_id"],
  ["inspection", "n.inspection"],
]);

/** Returns the disks written with the templates they joined or left (their derived-disk lists changed). */
const UPDATE_DISKS_SQL = `
  UPDATE disk SET ${DISK_DIFF.set}, "updatedAt" = now()
    FROM (${NEW_DISK_ROWS}) n
   WHERE disk.id = n.id AND NOT n.fresh AND ${DISK_DIFF.changed}
  RETURNING disk.id, disk."templateDiskId" AS template, n.old_template AS "oldTemplate"`;
/** Returns how many disks are new and the templates they joined, not a row per new disk (90,000 on a first scan). */
const INSERT_DISKS_SQL = `
  WITH inserted AS (
  INSERT INTO disk (id, "storageDomainId", "baseVolumeId", "leafVolumeId", alias, format, "virtualSize", "actualSize", "ownVolumeCount",
                    "chainProblem", status, allocation, "allocationSource", "templateDiskId", inspection, sparsifiable, blockers, warnings)
  SELECT n.id, $1, n.base_id, n.leaf_id, n.alias, n.format, n.virtual_size, n.actual_size, n.own_volume_count,
         n.chain_problem, n.status, n.allocation, n.allocation_source, n.template_id, n.inspection,
         COALESCE(n.sparsifiable, false), COALESCE(n.blockers, '[]'), COALESCE(n.warnings, '[]')
    FROM (${NEW_DISK_ROWS}) n WHERE n.fresh
  RETURNING "templateDiskId" AS template)
  SELECT count(*)::int AS count, COALESCE(array_agg(DISTINCT template) FILTER (WHERE template IS NOT NULL), '{}') AS templates
    FROM inserted`;

/** New disks whose assessment waits for the write (planned templates): the rules run on them after it. */
const PENDING_NEW_DISKS_SQL = `SELECT id FROM scan_d WHERE fresh AND blockers IS NULL`;
/** A domain fact changed: every disk is assessed again, except the new ones assessed with today's facts. */
const DOMAIN_DISKS_TO_REASSESS_SQL = `
  SELECT id FROM disk
   WHERE "storageDomainId" = $1 AND NOT EXISTS (SELECT 1 FROM scan_d d WHERE d.id = disk.id AND d.fresh AND d.blockers IS NOT NULL)`;

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
 * Set-based: the readings are streamed with COPY into two staging tables, then a fixed number of
 * statements resolves ids, updates the rows that changed and inserts the new ones, so the work
 * follows the diff and the number of statements does not grow with the domain. Needs a transaction.
 * A new disk is written with its blocker assessment (fresh-disk-assessment.ts), so it is written
 * once; the rules then run again for the existing disks whose stored facts the scan changed (every
 * other change of a fact refreshes its own disks), or for all of them when `domainChanged`.
 */
export async function applyScan(
  em: EntityManager,
  domain: StorageDomain,
  readings: readonly VolumeReading[],
  options: ApplyScanOptions = {},
): Promise<ScanSummary> {
  const now = options.now ?? new Date();
  const plan = planScan(readings);
  const assessed = await freshAssessments(em, domain, plan.disks);
  await em.query(STAGING_SQL);
  await copyRows(em, "scan_volume", VOLUME_COLUMNS, volumeRows(readings, plan));
  await copyRows(em, "scan_disk", DISK_COLUMNS, diskRows(plan, assessed));
  // Fresh temporary tables have no statistics: without them the planner joins them by nested loops.
  // A small sample is enough to tell it they are big and their keys distinct.
  await em.query("SET LOCAL default_statistics_target = 10");
  await em.query(RESOLVE_VOLUMES_SQL, [domain.id]);
  await em.query("ANALYZE scan_v");
  await em.query(RESOLVE_DISKS_SQL);
  await em.query("ANALYZE scan_d");
  await em.query(UPDATE_VOLUMES_SQL, [now]);
  await em.query(INSERT_VOLUMES_SQL, [domain.id, now]);
  await em.query(VANISHED_VOLUMES_SQL, [domain.id]);
  type Written = { id: string; template: string | null; oldTemplate?: string | null };
  const [updated] = (await em.query(UPDATE_DISKS_SQL)) as [Written[], number];
  const [inserted] = (await em.query(INSERT_DISKS_SQL, [domain.id])) as [{ count: number; templates: string[] }];
  const [missing] = (await em.query(MISSING_DISKS_SQL, [domain.id])) as [Written[], number];
  if (options.domainChanged) {
    const rows = (await em.query(DOMAIN_DISKS_TO_REASSESS_SQL, [domain.id])) as { id: string }[];
    await refreshAssessments(
      em,
      rows.map((r) => r.id),
    );
  } else {
    // A new disk was assessed as it was written; the template it joined was not.
    const pending = (await em.query(PENDING_NEW_DISKS_SQL)) as { id: string }[];
    const touched = [
      ...[...updated, ...missing].flatMap((w) => [w.id, w.template, w.oldTemplate ?? null]),
      ...inserted.templates,
      ...pending.map((w) => w.id),
    ];
    await refreshAssessments(em, [...new Set(touched.filter((id): id is string => id !== null))]);
  }
  return { volumes: readings.length, disks: plan.disks.length, newDisks: inserted.count, missingDisks: missing.length };
}
