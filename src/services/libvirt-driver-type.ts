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
