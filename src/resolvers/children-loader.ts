import DataLoader from "dataloader";
import type { DataSource, EntityTarget, ObjectLiteral } from "typeorm";

/** A parent's children, at most `limit` of them (the `first` argument of the list field). */
export interface ChildrenKey {
  parentId: string;
  limit: number;
}

export interface ChildrenSpec<T> {
  entity: EntityTarget<T>;
  table: string;
  /** Column (and property) holding the parent's id. */
  parent: keyof T & string;
  /** Sort order within one parent, columns (= properties) in priority order. */
  order: [keyof T & string, "ASC" | "DESC"][];
}

/**
 * Batched and bounded children of many parents: one statement per distinct limit in the batch,
 * returning at most `limit` rows per parent (row_number() per parent), whatever the page size
 * times the number of children.
 */
export function childrenLoader<T extends ObjectLiteral>(
  db: DataSource,
  spec: ChildrenSpec<T>,
): DataLoader<ChildrenKey, T[], string> {
  const orderSql = spec.order.map(([column, direction]) => `"${column}" ${direction}`).join(", ");
  return new DataLoader<ChildrenKey, T[], string>(
    async (keys) => {
      const byLimit = new Map<number, string[]>();
      for (const { parentId, limit } of keys) byLimit.set(limit, [...(byLimit.get(limit) ?? []), parentId]);
      const found = new Map<string, T[]>();
      for (const [limit, ids] of byLimit) {
        if (limit <= 0) continue;
        let query = db
          .getRepository(spec.entity)
          .createQueryBuilder("c")
          .where(
            `c.id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY "${spec.parent}" ORDER BY ` +
              `${orderSql}) AS rn FROM ${spec.table} WHERE "${spec.parent}" = ANY(:ids)) t WHERE rn <= :limit)`,
            { ids, limit },
          );
        for (const [column, direction] of spec.order) query = query.addOrderBy(`c."${column}"`, direction);
        for (const row of await query.getMany()) {
          const key = `${row[spec.parent]}:${limit}`;
          found.set(key, [...(found.get(key) ?? []), row]);
        }
      }
      return keys.map((k) => found.get(`${k.parentId}:${k.limit}`) ?? []);
    },
    { cacheKeyFn: (k) => `${k.parentId}:${k.limit}` },
  );
}
