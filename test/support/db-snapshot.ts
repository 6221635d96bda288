import type { DataSource } from "typeorm";

/** Tables whose rows a request may legitimately add without changing anything else (audit trail, tokens). */
const APPEND_ONLY = ["event", "api_token"];

export type TableSnapshot = Record<string, { rows: number; md5: string }>;

/**
 * Row count and an MD5 of every row's text, per table (all but the audit trail and the tokens), so
 * a test can assert that a barrage of requests changed nothing at all. `exclude` leaves out rows by
 * id (rows the test created on purpose).
 */
export async function snapshotTables(db: DataSource, exclude: Record<string, string[]> = {}): Promise<TableSnapshot> {
  const tables: { name: string }[] = await db.query(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND " +
      "table_type = 'BASE TABLE' AND NOT (table_name = ANY($1)) ORDER BY 1",
    [APPEND_ONLY],
  );
  const snapshot: TableSnapshot = {};
  for (const { name } of tables) {
    const skip = exclude[name] ?? [];
    const where = skip.length ? `WHERE NOT (t.id::text = ANY($1))` : "";
    const [row] = await db.query(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS md5 FROM "${name}" t ${where}`,
      skip.length ? [skip] : [],
    );
    snapshot[name] = row;
  }
  return snapshot;
}
