import type { DataSource, EntityManager } from "typeorm";

/**
 * The `<driver type>` libvirt opens each volume with, where a domain describes it (LIBVIRT VMs
 * only). For the image inspector: a `.img` file's format is what the hypervisor says, not a guess.
 * Volumes no domain points at are absent. When domains disagree the answer is left out (ambiguous).
 */
export async function libvirtDriverTypes(db: DataSource | EntityManager, volumeIds: string[]): Promise<Map<string, string>> {
  if (volumeIds.length === 0) return new Map();
  const rows: { volumeId: string; driverType: string }[] = await db.query(
    `SELECT "volumeId", min("driverType") AS "driverType" FROM disk_attachment
      WHERE "volumeId" = ANY($1::uuid[]) AND "driverType" IS NOT NULL
      GROUP BY "volumeId" HAVING count(DISTINCT "driverType") = 1`,
    [volumeIds],
  );
  return new Map(rows.map((r) => [r.volumeId, r.driverType]));
}

/**
 * The same by image path, before any scan mapped the path to a volume: what every libvirt domain's
 * XML says the format of that file is, as `<driver type>` of a disk source or `<format type>` of a
 * `<backingStore>` layer. Paths are compared exactly as libvirt wrote them (pass the real path and
 * the path as given when they differ). Paths described with two different formats are left out.
 */
export async function libvirtDriverTypesByPath(db: DataSource | EntityManager, paths: string[]): Promise<Map<string, string>> {
  if (paths.length === 0) return new Map();
  const rows: { path: string; type: string }[] = await db.query(
    `WITH described AS (
       SELECT d->>'source' AS path, d->>'driverType' AS type FROM vm, jsonb_array_elements(vm.disks) d WHERE vm.source = 'LIBVIRT'
       UNION ALL
       SELECT b->>'source', b->>'format' FROM vm, jsonb_array_elements(vm.disks) d, jsonb_array_elements(d->'backingStore') b
         WHERE vm.source = 'LIBVIRT'
     )
     SELECT path, min(type) AS type FROM described
      WHERE path = ANY($1::text[]) AND type IS NOT NULL
      GROUP BY path HAVING count(DISTINCT type) = 1`,
    [paths],
  );
  return new Map(rows.map((r) => [r.path, r.type]));
}
