import type { EntityManager } from "typeorm";
import type { StorageDomain } from "../entities/index.js";
import type { VolumeReading } from "../host/scan/read-volumes.js";
import { copyFrom, copyRows } from "./copy-rows.js";
import { refreshAssessmentsOf } from "./disk-assessment.service.js";
import { assessFreshDisks } from "./fresh-disk-assessment.js";
import { ReadingSpool } from "./reading-spool.js";
import { GROUP_READINGS_SQL } from "./scan-grouping-sql.js";
import { READING_COLUMNS, READING_TABLE_SQL, readingRow } from "./scan-reading-row.js";

export interface ScanSummary {
  volumes: number;
  disks: number;
  newDisks: number;
  missingDisks: number;
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
  SELECT s.rel_path, s.format, s.virtual_size, s.actual_size, s.backing_path, s.backing_rel_path,
         COALESCE(s.problem, s.refusal_code || ': ' || s.refusal_message) AS problem, s.refusal_code, s.file_device, s.file_inode,
         owner.base AS disk_base, w.depth, COALESCE(old.id, gen_random_uuid()) AS id, old.id IS NULL AS fresh
    FROM scan_reading s
    LEFT JOIN scan_walk w ON w.rel_path = s.rel_path
    LEFT JOIN scan_group owner ON owner.top = w.top
    LEFT JOIN volume old ON old."storageDomainId" = $1 AND old."relPath" = s.rel_path`;
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
   WHERE "storageDomainId" = $1 AND NOT missing AND NOT EXISTS (SELECT 1 FROM scan_reading s WHERE s.rel_path = volume."relPath")`;

/** Each disk's new row, with its template and, when it is new, its assessment (fresh-disk-assessment.ts). */
const NEW_DISK_ROWS = `
  SELECT d.*, template.id AS template_id, a.sparsifiable, a.blockers, a.warnings
    FROM scan_d d LEFT JOIN scan_d template ON template.base_rel_path = d.template_base LEFT JOIN scan_assessment a ON a.id = d.id`;

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

/**
 * The disks whose stored facts the scan changes go to `scan_touched`, not to the gateway: the rules
 * then run on them in chunks (a rescan can change every disk of the domain).
 */
const TOUCHED_SQL = `CREATE TEMP TABLE scan_touched (id uuid) ON COMMIT DROP`;

/** Notes the disks written with the templates they joined or left (their derived-disk lists changed). */
const UPDATE_DISKS_SQL = `
  WITH updated AS (
  UPDATE disk SET ${DISK_DIFF.set}, "updatedAt" = now()
    FROM (${NEW_DISK_ROWS}) n
   WHERE disk.id = n.id AND NOT n.fresh AND ${DISK_DIFF.changed}
  RETURNING disk.id, disk."templateDiskId" AS template, n.old_template)
  INSERT INTO scan_touched (id) SELECT unnest(ARRAY[id, template, old_template]) FROM updated`;
/** Returns how many disks are new, not a row per new disk (90,000 on a first scan); notes the templates they joined. */
const INSERT_DISKS_SQL = `
  WITH inserted AS (
  INSERT INTO disk (id, "storageDomainId", "baseVolumeId", "leafVolumeId", alias, format, "virtualSize", "actualSize", "ownVolumeCount",
                    "chainProblem", status, allocation, "allocationSource", "templateDiskId", inspection, sparsifiable, blockers, warnings)
  SELECT n.id, $1, n.base_id, n.leaf_id, n.alias, n.format, n.virtual_size, n.actual_size, n.own_volume_count,
         n.chain_problem, n.status, n.allocation, n.allocation_source, n.template_id, n.inspection,
         COALESCE(n.sparsifiable, false), COALESCE(n.blockers, '[]'), COALESCE(n.warnings, '[]')
    FROM (${NEW_DISK_ROWS}) n WHERE n.fresh
  RETURNING "templateDiskId" AS template),
  joined AS (INSERT INTO scan_touched (id) SELECT DISTINCT template FROM inserted WHERE template IS NOT NULL)
  SELECT count(*)::int AS count, (SELECT count(*)::int FROM scan_v) AS volumes, (SELECT count(*)::int FROM scan_d) AS disks
    FROM inserted`;

/** New disks whose assessment waits for the write (new templates): the rules run on them after it. */
const PENDING_NEW_DISKS_SQL = `
  INSERT INTO scan_touched (id) SELECT id FROM scan_d d WHERE fresh AND NOT EXISTS (SELECT 1 FROM scan_assessment a WHERE a.id = d.id)`;
/** A domain fact changed: every disk is assessed again, except the new ones assessed with today's facts. */
const DOMAIN_DISKS_TO_REASSESS_SQL = `
  INSERT INTO scan_touched (id) SELECT id FROM disk
   WHERE "storageDomainId" = $1 AND NOT EXISTS (SELECT 1 FROM scan_assessment a WHERE a.id = disk.id)`;

/** Returns how many disks went missing; notes them and their templates. */
const MISSING_DISKS_SQL = `
  WITH missing AS (
  UPDATE disk SET status = 'MISSING', "updatedAt" = now()
   WHERE "storageDomainId" = $1 AND status <> 'MISSING' AND NOT EXISTS (SELECT 1 FROM scan_d d WHERE d.id = disk.id)
  RETURNING disk.id, disk."templateDiskId" AS template),
  touched AS (INSERT INTO scan_touched (id) SELECT unnest(ARRAY[id, template]) FROM missing)
  SELECT count(*)::int AS count FROM missing`;

export interface ApplyScanOptions {
  /** A fact of the domain itself changed (its NFS version): every disk's blockers are recomputed. */
  domainChanged?: boolean;
  now?: Date;
}

/**
 * Stores what a host read from a domain. Idempotent: volumes are keyed by path, disks by their
 * base volume, so a rescan updates rows in place. What vanished is marked MISSING, never deleted.
 * Streamed and set-based: the readings go with COPY into a staging table (from the host's spool,
 * or from an iterable, lazily), SQL groups them into disks (scan-grouping-sql.ts), then a fixed
 * number of statements resolves ids, updates the rows that changed and inserts the new ones, so
 * the work follows the diff, the statements do not grow with the domain, and the gateway holds no
 * domain-sized data (only the new disks' assessment batches). Needs a transaction.
 * A new disk is written with its blocker assessment (fresh-disk-assessment.ts), so it is written
 * once; the rules then run again for the existing disks whose stored facts the scan changed (every
 * other change of a fact refreshes its own disks), or for all of them when `domainChanged`.
 */
export async function applyScan(
  em: EntityManager,
  domain: StorageDomain,
  readings: ReadingSpool | Iterable<VolumeReading>,
  options: ApplyScanOptions = {},
): Promise<ScanSummary> {
  const now = options.now ?? new Date();
  await em.query(READING_TABLE_SQL);
  if (readings instanceof ReadingSpool) await copyFrom(em, "scan_reading", READING_COLUMNS, readings.readable());
  else await copyRows(em, "scan_reading", READING_COLUMNS, mapLazily(readings, readingRow));
  // Fresh temporary tables have no statistics: without them the planner joins them by nested loops.
  // A small sample is enough to tell it they are big and their keys distinct.
  await em.query("SET LOCAL default_statistics_target = 10");
  await em.query(GROUP_READINGS_SQL);
  await em.query(RESOLVE_VOLUMES_SQL, [domain.id]);
  await em.query("ANALYZE scan_v");
  await em.query(`${RESOLVE_DISKS_SQL}; ANALYZE scan_d; ${TOUCHED_SQL}`);
  await assessFreshDisks(em, domain);
  await em.query(UPDATE_VOLUMES_SQL, [now]);
  await em.query(INSERT_VOLUMES_SQL, [domain.id, now]);
  await em.query(VANISHED_VOLUMES_SQL, [domain.id]);
  await em.query(UPDATE_DISKS_SQL);
  const [inserted] = (await em.query(INSERT_DISKS_SQL, [domain.id])) as [{ count: number; volumes: number; disks: number }];
  const [missing] = (await em.query(MISSING_DISKS_SQL, [domain.id])) as [{ count: number }];
  // A new disk was assessed as it was written; the template it joined was not. A new domain fact: all were not.
  if (options.domainChanged) await em.query(DOMAIN_DISKS_TO_REASSESS_SQL, [domain.id]);
  else await em.query(PENDING_NEW_DISKS_SQL);
  await refreshAssessmentsOf(em, "SELECT DISTINCT id FROM scan_touched WHERE id IS NOT NULL");
  return { volumes: inserted.volumes, disks: inserted.disks, newDisks: inserted.count, missingDisks: missing.count };
}

function* mapLazily<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}
