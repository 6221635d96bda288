import path from "node:path";
import type { EntityManager } from "typeorm";
import { DiskFormat } from "../entities/enums.js";
import type { Disk, StorageDomain } from "../entities/index.js";
import type { ChainLayer } from "../host/inspect/inspect-chain.js";

/** Deeper than any real chain; the scan never records a loop, but never trust a row to end. */
const MAX_DEPTH = 64;

export interface RecordedChain {
  /** Leaf first: the disk's own volumes, then its template's (and the template's template…). */
  layers: (ChainLayer & { volumeId: string; relPath: string })[];
  /** How many of `layers` belong to the disk itself. */
  ownCount: number;
}

/**
 * The chain qemu will open for a disk, as the inventory recorded it at the last scan (never as
 * headers say now): from the leaf along `backingVolumeId`, one query.
 */
export async function loadRecordedChain(em: EntityManager, disk: Disk, domain: StorageDomain): Promise<RecordedChain> {
  if (!disk.leafVolumeId) return { layers: [], ownCount: 0 };
  const rows: { id: string; relPath: string; format: DiskFormat; diskId: string | null }[] = await em.query(
    `WITH RECURSIVE chain AS (
       SELECT v.id, v."relPath", v.format, v."diskId", v."backingVolumeId", 0 AS n FROM volume v WHERE v.id = $1 AND
         v."storageDomainId" = $2
       UNION ALL
       SELECT v.id, v."relPath", v.format, v."diskId", v."backingVolumeId", c.n + 1 FROM volume v JOIN chain c ON v.id = c."backingVolumeId"
        WHERE c.n < $3 AND v."storageDomainId" = $2
     ) SELECT id, "relPath", format, "diskId" FROM chain ORDER BY n`,
    [disk.leafVolumeId, domain.id, MAX_DEPTH],
  );
  const layers = rows.map((r) => ({
    volumeId: r.id,
    relPath: r.relPath,
    path: path.join(domain.path, r.relPath),
    format: r.format === DiskFormat.QCOW2 ? ("qcow2" as const) : ("raw" as const),
  }));
  const ownCount = rows.findIndex((r) => r.diskId !== disk.id);
  return { layers, ownCount: ownCount < 0 ? rows.length : ownCount };
}
