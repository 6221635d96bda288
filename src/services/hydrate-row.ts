import type { DataSource, EntityTarget, ObjectLiteral } from "typeorm";

/**
 * A raw row (RETURNING *, or a hand-written SELECT of `t.*`) as the entity the ORM would have
 * loaded: each column goes through the driver's hydration, so BIGINT transformers, enums and
 * timestamps come out as on a read. Columns missing from `raw` come out undefined.
 */
export function hydrateRow<T extends ObjectLiteral>(db: DataSource, target: EntityTarget<T>, raw: Record<string, unknown>): T {
  const meta = db.getMetadata(target);
  const entity = meta.create() as T;
  for (const column of meta.columns)
    column.setEntityValue(entity, db.driver.prepareHydratedValue(raw[column.databaseName], column));
  return entity;
}
