import fs from "node:fs/promises";
import type { DataSource, EntityManager } from "typeorm";
import { isLive, takesOver, vmStatusFromLibvirt } from "../domain/libvirt-state.js";
import { locateVolume, type DomainRoot } from "../domain/volume-location.js";
import { LibvirtState, VmSource, VmStatus } from "../entities/enums.js";
import type { LibvirtDiskRecord } from "../entities/vm.entity.js";
import type { DomainReading, DomainsRead } from "../host/libvirt/virsh.js";
import { refreshAssessments } from "./disk-assessment.service.js";
import { markVmsUnknown } from "./libvirt-unknown-vms.js";

interface VmRow {
  id: string;
  hostId: string | null;
  libvirtUuid: string;
  name: string;
  status: VmStatus;
}

/**
 * Writes one host's libvirt readings into the inventory: VMs (identity = libvirt UUID),
 * their attachments mapped to volumes by real path, their state; and the host's libvirt link.
 * Every change re-assesses exactly the disks whose facts changed.
 */
export class LibvirtSync {
  constructor(
    private readonly db: DataSource,
    private readonly hostName: string,
    private readonly uri: string,
  ) {}

  private async hostId(em: EntityManager): Promise<string> {
    const rows: { id: string }[] = await em.query(`SELECT id FROM host WHERE name = $1`, [this.hostName]);
    if (!rows[0]) throw new Error(`host ${this.hostName} is not registered`);
    return rows[0].id;
  }

  /** Disks whose facts depend on this host's libvirt link: its domains' disks and its VMs' disks. */
  private async hostDiskIds(em: EntityManager, hostId: string): Promise<string[]> {
    const rows: { id: string }[] = await em.query(
      `SELECT d.id FROM disk d JOIN host h ON d."storageDomainId" = ANY(h."storageDomainIds") WHERE h.id = $1
       UNION SELECT a."diskId" FROM disk_attachment a JOIN vm ON vm.id = a."vmId" WHERE vm."hostId" = $1`,
      [hostId],
    );
    return rows.map((r) => r.id);
  }

  /** Records the link state; on a change every disk the host sees is re-assessed. */
  /**
   * With `ifSilentForMs`, the write happens only if the host's heartbeat is still that old when its
   * row is locked: a heartbeat (and the link's CONNECTED) that came after the caller's read wins.
   * Returns whether the state was written.
   */
  async setState(state: LibvirtState, message: string | null, opts: { ifSilentForMs?: number } = {}): Promise<boolean> {
    return this.db.transaction(async (em) => {
      const hostId = await this.hostId(em);
      const rows: { libvirtState: string; silent: boolean }[] = await em.query(
        `SELECT "libvirtState", "heartbeatAt" < now() - ($2 || ' milliseconds')::interval AS silent
           FROM host WHERE id = $1 FOR UPDATE`,
        [hostId, String(opts.ifSilentForMs ?? 0)],
      );
      if (opts.ifSilentForMs !== undefined && rows[0]?.silent !== true) return false;
      await em.query(`UPDATE host SET "libvirtState" = $2, "libvirtUri" = $3, "libvirtMessage" = $4 WHERE id = $1`, [
        hostId,
        state,
        state === LibvirtState.DISABLED ? null : this.uri,
        message,
      ]);
      // Fail safe: once the host no longer follows libvirt (lost it, or LIBVIRT_URI=none since), what
      // it reported can no longer be trusted, least of all "shut off".
      const vmsChanged = state !== LibvirtState.CONNECTED && (await markVmsUnknown(em, hostId)) > 0;
      if (rows[0]?.libvirtState !== state || vmsChanged) await refreshAssessments(em, await this.hostDiskIds(em, hostId));
      return true;
    });
  }

  async eventSeen(at: Date): Promise<void> {
    await this.db.query(`UPDATE host SET "libvirtLastEventAt" = $2 WHERE name = $1`, [this.hostName, at]);
  }

  /**
   * A full resync: the host's VMs become what libvirt reports. Only a VM whose UUID libvirt did not
   * list is deleted; one listed but not read (it vanished meanwhile) keeps its attachments, UNKNOWN.
   */
  async fullSync(read: DomainsRead): Promise<void> {
    await this.apply(read.domains, { listed: new Set(read.listed), gone: [] });
  }

  /** One domain re-read after an event; null = it no longer exists on this host. */
  async domainChanged(name: string, domain: DomainReading | null): Promise<void> {
    await this.apply(domain ? [domain] : [], { listed: null, gone: domain ? [] : [name] });
  }

  private async roots(em: EntityManager): Promise<DomainRoot[]> {
    const domains: { id: string; path: string }[] = await em.query(`SELECT id, path FROM storage_domain`);
    return Promise.all(domains.map(async (d) => ({ id: d.id, realPath: await fs.realpath(d.path).catch(() => d.path) })));
  }

  /** Maps each file disk source to an inventory volume by its real path on this host. */
  private async mapDisks(em: EntityManager, domains: DomainReading[]): Promise<Map<string, LibvirtDiskRecord[]>> {
    const roots = await this.roots(em);
    const sources = [
      ...new Set(domains.flatMap((d) => d.disks.filter((k) => k.type === "file" && k.source).map((k) => k.source!))),
    ];
    const located = new Map<string, { storageDomainId: string; relPath: string }>();
    await Promise.all(
      sources.map(async (src) => {
        const real = await fs.realpath(src).catch(() => src);
        const at = locateVolume(real, roots);
        if (at) located.set(src, at);
      }),
    );
    const wanted = [...located.values()];
    const volumes: { id: string; diskId: string | null; storageDomainId: string; relPath: string }[] = wanted.length
      ? await em.query(
          `SELECT v.id, v."diskId", v."storageDomainId", v."relPath" FROM volume v
             JOIN unnest($1::uuid[], $2::text[]) AS w(sd, rel) ON v."storageDomainId" = w.sd AND v."relPath" = w.rel
            WHERE NOT v.missing`,
          [wanted.map((w) => w.storageDomainId), wanted.map((w) => w.relPath)],
        )
      : [];
    const volumeAt = new Map(volumes.map((v) => [`${v.storageDomainId}\0${v.relPath}`, v]));
    const out = new Map<string, LibvirtDiskRecord[]>();
    for (const d of domains) {
      out.set(
        d.uuid,
        d.disks.map((k) => {
          const at = k.type === "file" && k.source ? located.get(k.source) : undefined;
          const volume = at ? volumeAt.get(`${at.storageDomainId}\0${at.relPath}`) : undefined;
          return {
            target: k.target,
            bus: k.bus,
            device: k.device,
            source: k.source,
            driverType: k.driverType,
            readOnly: k.readOnly,
            shareable: k.shareable,
            backingStore: k.backingStore,
            volumeId: volume?.id ?? null,
            diskId: volume?.diskId ?? null,
          };
        }),
      );
    }
    return out;
  }

  /** `listed`: a full resync's list (VMs of this host not in it are deleted); null for one domain's re-read. */
  private async apply(domains: DomainReading[], opts: { listed: Set<string> | null; gone: string[] }): Promise<void> {
    await this.db.transaction(async (em) => {
      const hostId = await this.hostId(em);
      const uuids = domains.map((d) => d.uuid);
      const existing: VmRow[] = await em.query(
        `SELECT id, "hostId", "libvirtUuid", name, status FROM vm WHERE source = 'LIBVIRT' AND ("hostId" ` +
          `= $1 OR "libvirtUuid" = ANY($2::uuid[])) FOR UPDATE`,
        [hostId, uuids],
      );
      const byUuid = new Map(existing.map((v) => [v.libvirtUuid, v]));
      // A migration: the same UUID on two hosts. The host where it runs wins; a stopped copy elsewhere does not take it over.
      const mine = domains.filter((d) => {
        const row = byUuid.get(d.uuid);
        return !row || row.hostId === hostId || takesOver(row.status, vmStatusFromLibvirt(d.state));
      });
      const disks = await this.mapDisks(em, mine);
      const now = new Date();
      const records = mine.map((d) => ({
        uuid: d.uuid,
        name: d.name,
        status: vmStatusFromLibvirt(d.state),
        state: d.state,
        disks: disks.get(d.uuid)!,
      }));
      const upserted: { id: string; libvirtUuid: string }[] = records.length
        ? await em.query(
            `INSERT INTO vm (name, status, source, "hostId", "libvirtUuid", "libvirtState", disks, "syncedAt")
             SELECT r.name, r.status::vm_status_enum, 'LIBVIRT', $2, r.uuid, r.state, r.disks, $3
               FROM jsonb_to_recordset($1::jsonb) AS r(uuid uuid, name text, status text, state text, disks jsonb)
             ON CONFLICT ("libvirtUuid") DO UPDATE SET name = EXCLUDED.name, status = EXCLUDED.status, "hostId" = EXCLUDED."hostId",
               "libvirtState" = EXCLUDED."libvirtState", disks = EXCLUDED.disks, "syncedAt" = EXCLUDED."syncedAt"
             RETURNING id, "libvirtUuid"`,
            [JSON.stringify(records), hostId, now],
          )
        : [];
      const reported = new Set(domains.map((d) => d.uuid));
      const unreported = existing.filter((v) => v.hostId === hostId && !reported.has(v.libvirtUuid));
      const removed = unreported.filter((v) => (opts.listed ? !opts.listed.has(v.libvirtUuid) : opts.gone.includes(v.name)));
      // Listed, then not read: libvirt did not say it is gone, so its disks stay attached and blocked.
      const unread = opts.listed ? unreported.filter((v) => opts.listed!.has(v.libvirtUuid)) : [];
      if (unread.length) {
        await em.query(`UPDATE vm SET status = 'UNKNOWN', "libvirtState" = NULL WHERE id = ANY($1::uuid[])`, [
          unread.map((v) => v.id),
        ]);
      }
      const unreadDisks: { diskId: string }[] = unread.length
        ? await em.query(`SELECT "diskId" FROM disk_attachment WHERE "vmId" = ANY($1::uuid[])`, [unread.map((v) => v.id)])
        : [];
      const touchedVmIds = [...upserted.map((u) => u.id), ...removed.map((v) => v.id)];
      // SELECT then DELETE: TypeORM returns [rows, count] for DELETE … RETURNING on pg, not rows.
      const before: { diskId: string }[] = touchedVmIds.length
        ? await em.query(`SELECT "diskId" FROM disk_attachment WHERE "vmId" = ANY($1::uuid[])`, [touchedVmIds])
        : [];
      if (touchedVmIds.length) await em.query(`DELETE FROM disk_attachment WHERE "vmId" = ANY($1::uuid[])`, [touchedVmIds]);
      if (removed.length) await em.query(`DELETE FROM vm WHERE id = ANY($1::uuid[])`, [removed.map((v) => v.id)]);
      const idOf = new Map(upserted.map((u) => [u.libvirtUuid, u.id]));
      const attachments = records.flatMap((r) => {
        const seen = new Set<string>();
        return r.disks
          .filter((k) => k.diskId && !seen.has(k.diskId) && seen.add(k.diskId))
          .map((k) => ({
            vmId: idOf.get(r.uuid)!,
            diskId: k.diskId!,
            volumeId: k.volumeId,
            plugged: isLive(r.status),
            targetDev: k.target,
            driverType: k.driverType,
            readOnly: k.readOnly,
            shareable: k.shareable,
          }));
      });
      if (attachments.length) {
        await em.query(
          `INSERT INTO disk_attachment ("vmId", "diskId", "volumeId", plugged, "targetDev", "driverType", "readOnly", shareable)
           SELECT a."vmId", a."diskId", a."volumeId", a.plugged, a."targetDev", a."driverType", a."readOnly", a.shareable
             FROM jsonb_to_recordset($1::jsonb) AS a("vmId" uuid, "diskId" uuid, "volumeId" uuid, plugged boolean, "targetDev"
               text, "driverType" text, "readOnly" boolean, shareable boolean)`,
          [JSON.stringify(attachments)],
        );
      }
      const changed = [...before, ...attachments, ...unreadDisks].map((a) => a.diskId);
      await refreshAssessments(em, [...new Set(changed)]);
    });
  }
}
