import DataLoader from "dataloader";
import { In, type DataSource } from "typeorm";
import { childrenLoader } from "./children-loader.js";
import { libvirtDriverTypes } from "../services/libvirt-driver-type.js";
import { Disk, DiskAttachment, Host, SparsifyJob, StorageDomain, Vm, Volume } from "../entities/index.js";
import { domainSizeTotalsLoader } from "./domain-size-totals.js";

function byKey<T, K>(keys: readonly K[], rows: T[], key: (row: T) => K): (T | null)[] {
  const map = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

function groupedByKey<T, K>(keys: readonly K[], rows: T[], key: (row: T) => K): T[][] {
  const map = new Map<K, T[]>(keys.map((k) => [k, []]));
  for (const row of rows) map.get(key(row))?.push(row);
  return keys.map((k) => map.get(k)!);
}

/**
 * Per-request batching: one query per relation per page of disks, never one per disk. Lists are
 * bounded per parent (the field's `first`). A subscription gets fresh loaders for every event.
 */
export function createLoaders(db: DataSource) {
  return {
    domain: new DataLoader<string, StorageDomain | null>(async (ids) =>
      byKey(ids, await db.getRepository(StorageDomain).findBy({ id: In([...ids]) }), (d) => d.id),
    ),
    disk: new DataLoader<string, Disk | null>(async (ids) =>
      byKey(ids, await db.getRepository(Disk).findBy({ id: In([...ids]) }), (d) => d.id),
    ),
    host: new DataLoader<string, Host | null>(async (ids) =>
      byKey(ids, await db.getRepository(Host).findBy({ id: In([...ids]) }), (h) => h.id),
    ),
    driverTypeOfVolume: new DataLoader<string, string | null>(async (ids) => {
      const types = await libvirtDriverTypes(db, [...ids]);
      return ids.map((id) => types.get(id) ?? null);
    }),
    vm: new DataLoader<string, Vm | null>(async (ids) =>
      byKey(ids, await db.getRepository(Vm).findBy({ id: In([...ids]) }), (v) => v.id),
    ),
    volumesOfDisk: new DataLoader<string, Volume[]>(async (ids) =>
      groupedByKey(
        ids,
        await db.getRepository(Volume).find({ where: { diskId: In([...ids]) }, order: { depth: "ASC" } }),
        (v) => v.diskId!,
      ),
    ),
    derivedOfDisk: childrenLoader(db, {
      entity: Disk,
      table: "disk",
      parent: "templateDiskId",
      order: [
        ["alias", "ASC"],
        ["id", "ASC"],
      ],
    }),
    disksOfDomain: childrenLoader(db, {
      entity: Disk,
      table: "disk",
      parent: "storageDomainId",
      order: [
        ["alias", "ASC"],
        ["id", "ASC"],
      ],
    }),
    attachmentsOfDisk: new DataLoader<string, DiskAttachment[]>(async (ids) =>
      groupedByKey(ids, await db.getRepository(DiskAttachment).findBy({ diskId: In([...ids]) }), (a) => a.diskId),
    ),
    attachmentsOfVm: new DataLoader<string, DiskAttachment[]>(async (ids) =>
      groupedByKey(ids, await db.getRepository(DiskAttachment).findBy({ vmId: In([...ids]) }), (a) => a.vmId),
    ),
    reclaimableOfDomain: new DataLoader<string, number>(async (ids) => {
      const rows: { id: string; total: string }[] = await db.query(
        `SELECT "storageDomainId" AS id, COALESCE(sum("reclaimableEstimate"), 0)::text AS total FROM ` +
          `disk WHERE "storageDomainId" = ANY($1::uuid[]) AND status <> 'MISSING' GROUP BY 1`,
        [[...ids]],
      );
      const byId = new Map(rows.map((r) => [r.id, Number(r.total)]));
      return ids.map((id) => byId.get(id) ?? 0);
    }),
    sizeTotalsOfDomain: domainSizeTotalsLoader(db),
    lastJobOfDisk: new DataLoader<string, SparsifyJob | null>(async (ids) =>
      byKey(
        ids,
        await db
          .getRepository(SparsifyJob)
          .createQueryBuilder("j")
          .distinctOn(['j."diskId"'])
          .where('j."diskId" IN (:...ids)', { ids })
          .orderBy('j."diskId"')
          .addOrderBy('j."createdAt"', "DESC")
          .getMany(),
        (j) => j.diskId,
      ),
    ),
    jobsOfDisk: childrenLoader(db, {
      entity: SparsifyJob,
      table: "sparsify_job",
      parent: "diskId",
      order: [
        ["createdAt", "DESC"],
        ["id", "DESC"],
      ],
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
