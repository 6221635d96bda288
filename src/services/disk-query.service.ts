import type { DataSource, SelectQueryBuilder } from "typeorm";
import { Disk } from "../entities/index.js";
import { badInput } from "../errors.js";
import { DiskOrderField, OrderDirection, type DiskFilter, type DiskOrder } from "../schema/disk-query.input.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
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

export interface DiskPage {
  edges: { cursor: string; node: Disk }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** A getter: counted only when a client selects it. */
  readonly totalCount: Promise<number>;
}

/**
 * Keyset pagination over (order column, id): one statement per page plus one COUNT when asked,
 * whatever the page size; stable and gap-free while rows are added.
 */
export async function listDisks(db: DataSource, args: { first?: number | null; after?: string | null; filter?: DiskFilter | null; orderBy?: DiskOrder | null }): Promise<DiskPage> {
  const first = args.first ?? DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) throw badInput(`first must be between 0 and ${MAX_PAGE}`, "first");
  const order = COLUMN[args.orderBy?.field ?? DiskOrderField.ALIAS];
  const dir = args.orderBy?.direction === OrderDirection.DESC ? "DESC" : "ASC";
  const filtered = () => applyFilter(db.getRepository(Disk).createQueryBuilder("d"), args.filter);

  const page = filtered();
  if (args.after) {
    const cursor = decodeCursor(args.after);
    if (typeof cursor.value !== (order.numeric ? "number" : "string")) throw badInput("after belongs to another ordering", "after");
    page.andWhere(`(${order.sql}, d.id) ${dir === "ASC" ? ">" : "<"} (:cv, :cid)`, { cv: cursor.value, cid: parseId(cursor.id, "after") });
  }
  const rows = await page.orderBy(order.sql, dir).addOrderBy("d.id", dir).limit(first + 1).getMany();
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ cursor: encodeCursor({ value: (node[order.key] as string | number | null) ?? 0, id: node.id }), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    get totalCount() {
      return filtered().getCount();
    },
  };
}

function applyFilter(qb: SelectQueryBuilder<Disk>, filter?: DiskFilter | null): SelectQueryBuilder<Disk> {
  qb.where("TRUE");
  if (filter?.storageDomainId) qb.andWhere('d."storageDomainId" = :sd', { sd: parseId(filter.storageDomainId, "filter.storageDomainId") });
  if (filter?.sparsifiable !== undefined && filter?.sparsifiable !== null) qb.andWhere("d.sparsifiable = :sp", { sp: filter.sparsifiable });
  if (filter?.needsSparsify !== undefined && filter?.needsSparsify !== null) qb.andWhere('d."needsSparsify" = :ns', { ns: filter.needsSparsify });
  if (filter?.text) {
    if (filter.text.length > 200) throw badInput("filter.text must be at most 200 characters", "filter.text");
    const escaped = filter.text.replace(/[\\%_]/g, (c) => `\\${c}`);
    qb.andWhere("d.alias ILIKE :text", { text: `%${escaped}%` });
  }
  return qb;
}
