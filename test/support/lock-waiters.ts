import type { DataSource } from "typeorm";

/** How many sessions of this test's database wait on a row or table lock (to poll for a queued statement). */
export async function lockWaiters(db: DataSource): Promise<number> {
  const rows = await db.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
  );
  return rows[0].n;
}
