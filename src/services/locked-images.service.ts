import path from "node:path";
import type { DataSource } from "typeorm";
import { locateVolume } from "../domain/volume-location.js";

export interface LockedImage {
  path: string;
  diskId: string;
  alias: string;
  jobId: string | null;
}

/** A hook sends a domain's disk paths; more than this is not a domain but an abuse. */
export const MAX_HOOK_PATHS = 256;

/**
 * Which of these image paths belong to a disk the gateway holds LOCKED (a sparsify job is
 * queued or running): the libvirt qemu hook refuses to start a domain on them. Paths are
 * compared as hosts see them (storage domain paths), by path components, never by prefix text.
 */
export async function lockedImages(db: DataSource, paths: string[]): Promise<LockedImage[]> {
  const wanted = [
    ...new Set(paths.filter((p) => path.isAbsolute(p) && !/[\u0000-\u001f]/.test(p)).map((p) => path.normalize(p))),
  ].slice(0, MAX_HOOK_PATHS);
  if (wanted.length === 0) return [];
  const domains: { id: string; path: string }[] = await db.query(`SELECT id, path FROM storage_domain`);
  const roots = domains.map((d) => ({ id: d.id, realPath: d.path }));
  const located = wanted.map((p) => ({ p, at: locateVolume(p, roots) })).filter((x) => x.at !== null);
  if (located.length === 0) return [];
  const rows: { sd: string; rel: string; diskId: string; alias: string; jobId: string | null }[] = await db.query(
    `SELECT v."storageDomainId" AS sd, v."relPath" AS rel, d.id AS "diskId", d.alias,
            (SELECT j.id FROM sparsify_job j WHERE j."diskId" = d.id AND j.state IN ('QUEUED', 'RUNNING') LIMIT 1) AS "jobId"
       FROM volume v
       JOIN unnest($1::uuid[], $2::text[]) AS w(sd, rel) ON v."storageDomainId" = w.sd AND v."relPath" = w.rel
       JOIN disk d ON d.id = v."diskId"
      WHERE d.status = 'LOCKED'`,
    [located.map((x) => x.at!.storageDomainId), located.map((x) => x.at!.relPath)],
  );
  const byKey = new Map(rows.map((r) => [`${r.sd}\0${r.rel}`, r]));
  return located.flatMap(({ p, at }) => {
    const row = byKey.get(`${at!.storageDomainId}\0${at!.relPath}`);
    return row ? [{ path: p, diskId: row.diskId, alias: row.alias, jobId: row.jobId }] : [];
  });
}
