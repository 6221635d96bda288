import type { DataSource, SelectQueryBuilder } from "typeorm";
import { Disk } from "../entities/index.js";
import { badInput } from "../errors.js";
import { DiskOrderField, OrderDirection, type DiskQueryFilter, type DiskQueryOrder } from "../domain/disk-query.js";
import { keysetPage, type Page, type PageArgs } from "./keyset-page.js";
import { parseId } from "./ids.js";

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

const COLUMN: Record<DiskOrderField, { sql: string; key: keyof Disk; numeric: boolean }> = {
  [DiskOrderField.ALIAS]: { sql: "d.alias", key: "alias", numeric: false },
  [DiskOrderField.ACTUAL_SIZE]: { sql: 'd."actualSize"', key: "actualSize", numeric: true },
  [DiskOrderField.VIRTUAL_SIZE]: { sql: 'd."virtualSize"', key: "virtualSize", numeric: true },
  // COALESCE keeps keyset paging total over disks without an estimate.
  [DiskOrderField.RECLAIMABLE]: { sql: 'COALESCE(d."reclaimableEstimate", 0)', key: "reclaimableEstimate", numeric: true },
};

export type DiskPage = Page<Disk>;

/**
 * Keyset pagination over (order column, id), forwards (first/after) or backwards (last/before):
 * one statement per page whatever its size; stable and gap-free while rows are added.
 */
export function listDisks(
  db: DataSource,
  args: PageArgs & { filter?: DiskQueryFilter | null; orderBy?: DiskQueryOrder | null },
): Promise<DiskPage> {
  const order = COLUMN[args.orderBy?.field ?? DiskOrderField.ALIAS];
  return keysetPage(
    {
      build: () => applyFilter(db.getRepository(Disk).createQueryBuilder("d"), args.filter),
      alias: "d",
      orderSql: order.sql,
      direction: args.orderBy?.direction === OrderDirection.DESC ? "DESC" : "ASC",
      valueOf: (node) => (node[order.key] as string | number | null) ?? 0,
      accepts: (value) => typeof value === (order.numeric ? "number" : "string"),
      defaultSize: DEFAULT_PAGE,
      maxSize: MAX_PAGE,
    },
    args,
  );
}

export function applyFilter(qb: SelectQueryBuilder<Disk>, filter?: DiskQueryFilter | null): SelectQueryBuilder<Disk> {
  qb.where("TRUE");
  if (filter?.storageDomainId)
    qb.andWhere('d."storageDomainId" = :sd', { sd: parseId(filter.storageDomainId, "filter.storageDomainId") });
  if (filter?.sparsifiable !== undefined && filter?.sparsifiable !== null)
    qb.andWhere("d.sparsifiable = :sp", { sp: filter.sparsifiable });
  if (filter?.needsSparsify !== undefined && filter?.needsSparsify !== null)
    qb.andWhere('d."needsSparsify" = :ns', { ns: filter.needsSparsify });
  if (filter?.text) {
    if (filter.text.length > 200) throw badInput("filter.text must be at most 200 characters", "filter.text");
    const escaped = filter.text.replace(/[\\%_]/g, (c) => `\\${c}`);
    qb.andWhere("d.alias ILIKE :text", { text: `%${escaped}%` });
  }
  return qb;
}
