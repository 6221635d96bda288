import type { DataSource } from "typeorm";
import { LibvirtState } from "../entities/enums.js";
import { LibvirtSync } from "./libvirt-sync.service.js";

/**
 * A host whose worker stopped heartbeating cannot say its libvirt is gone: without this, its VMs
 * would keep their last state forever (a dead worker's "shut off" is not a fact). Such hosts are
 * marked UNREACHABLE, which makes their VMs UNKNOWN and blocks their disks, until the worker is back.
 */
export async function markSilentLibvirtHosts(db: DataSource, offlineAfterMs: number): Promise<string[]> {
  const silent: { name: string; libvirtUri: string | null }[] = await db.query(
    `SELECT name, "libvirtUri" FROM host WHERE "libvirtState" = 'CONNECTED' AND "heartbeatAt" < now() - ($1 || ' milliseconds')::interval`,
    [String(offlineAfterMs)],
  );
  const marked: string[] = [];
  for (const host of silent) {
    // Conditional: a heartbeat that lands between the read above and this write keeps the host CONNECTED.
    const written = await new LibvirtSync(db, host.name, host.libvirtUri ?? "").setState(
      LibvirtState.UNREACHABLE,
      `host ${host.name} stopped heartbeating: its VMs' state is unknown`,
      { ifSilentForMs: offlineAfterMs },
    );
    if (written) marked.push(host.name);
  }
  return marked;
}
