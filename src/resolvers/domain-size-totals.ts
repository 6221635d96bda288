import DataLoader from "dataloader";
import type { DataSource } from "typeorm";

/** A storage domain's disks added up: what they could grow to and what they take. */
export interface DomainSizeTotals {
  diskCount: number;
  virtualSizeTotal: number;
  actualSizeTotal: number;
}

const EMPTY: DomainSizeTotals = { diskCount: 0, virtualSizeTotal: 0, actualSizeTotal: 0 };

/**
 * One statement for every domain of the request. MISSING disks are left out (their file is gone),
 * like `reclaimableTotal`. Sums come back as text (numeric in pg) and the Bytes scalar refuses a
 * total past 2^53 rather than round it.
 */
export const domainSizeTotalsLoader = (db: DataSource) =>
  new DataLoader<string, DomainSizeTotals>(async (ids) => {
    const rows: { id: string; disks: string; virtual: string; actual: string }[] = await db.query(
      `SELECT "storageDomainId" AS id, count(*)::text AS disks,
              COALESCE(sum("virtualSize"), 0)::text AS virtual, COALESCE(sum("actualSize"), 0)::text AS actual
         FROM disk WHERE "storageDomainId" = ANY($1::uuid[]) AND status <> 'MISSING' GROUP BY 1`,
      [[...ids]],
    );
    const byId = new Map(
      rows.map((r) => [
        r.id,
        { diskCount: Number(r.disks), virtualSizeTotal: Number(r.virtual), actualSizeTotal: Number(r.actual) },
      ]),
    );
    return ids.map((id) => byId.get(id) ?? EMPTY);
  });
