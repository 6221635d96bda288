import type { DataSource, EntityManager } from "typeorm";
import { refreshAssessments } from "./disk-assessment.service.js";

/** Marks a host's libvirt VMs UNKNOWN; returns how many changed. */
export async function markVmsUnknown(em: EntityManager, hostId: string): Promise<number> {
  const rows: { id: string }[] = await em.query(
    `SELECT id FROM vm WHERE "hostId" = $1 AND source = 'LIBVIRT' AND status <> 'UNKNOWN' FOR UPDATE`,
    [hostId],
  );
  if (rows.length) await em.query(`UPDATE vm SET status = 'UNKNOWN' WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
  return rows.length;
}

/**
 * A libvirt VM is only as true as its host's libvirt link. The link's loss marks the host's VMs
 * UNKNOWN (LibvirtSync.setState), but a resync read before the loss and written after it puts the
 * last states back: this sweep makes every libvirt VM whose host is not CONNECTED (or is gone)
 * UNKNOWN again, and re-assesses its disks. Returns the VMs' names.
 */
export async function markUnvouchedLibvirtVms(db: DataSource): Promise<string[]> {
  return db.transaction(async (em) => {
    const vms: { id: string; name: string }[] = await em.query(
      `SELECT vm.id, vm.name FROM vm WHERE vm.source = 'LIBVIRT' AND vm.status <> 'UNKNOWN'
          AND NOT EXISTS (SELECT 1 FROM host h WHERE h.id = vm."hostId" AND h."libvirtState" = 'CONNECTED')
        FOR UPDATE OF vm`,
    );
    if (vms.length === 0) return [];
    const ids = vms.map((v) => v.id);
    await em.query(`UPDATE vm SET status = 'UNKNOWN' WHERE id = ANY($1::uuid[])`, [ids]);
    const disks: { diskId: string }[] = await em.query(`SELECT "diskId" FROM disk_attachment WHERE "vmId" = ANY($1::uuid[])`, [
      ids,
    ]);
    await refreshAssessments(
      em,
      disks.map((d) => d.diskId),
    );
    return vms.map((v) => v.name);
  });
}
