import type { DataSource, EntityManager } from "typeorm";

/**
 * Who may write a domain's inventory. A lease row instead of a lock held across the scan: the
 * scan's file reads and qemu calls (seconds, or until a timeout on hung storage) run with no
 * transaction and no pooled connection held, and a scan that finds the lease taken defers
 * instead of waiting on a lock. Each statement is one short autocommit.
 */
export class ScanLease {
  private renewTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly db: DataSource,
    readonly storageDomainId: string,
    readonly owner: string,
    private readonly leaseMs: number,
  ) {}

  /** Takes the lease when it is free or expired; null when another scan holds it. */
  static async take(db: DataSource, storageDomainId: string, owner: string, leaseMs: number): Promise<ScanLease | null> {
    const rows: unknown[] = await db.query(
      `WITH t AS (
         UPDATE storage_domain SET "scanLeaseOwner" = $2, "scanLeaseUntil" = now() + ($3 || ' milliseconds')::interval
          WHERE id = $1 AND ("scanLeaseOwner" IS NULL OR "scanLeaseUntil" < now() OR "scanLeaseOwner" = $2)
          RETURNING id)
       SELECT id FROM t`,
      [storageDomainId, owner, String(leaseMs)],
    );
    if (rows.length === 0) return null;
    const lease = new ScanLease(db, storageDomainId, owner, leaseMs);
    // Renewed well before it expires, so a long healthy scan keeps it; a dead worker's lapses.
    lease.renewTimer = setInterval(() => void lease.renew().catch(() => undefined), Math.max(1_000, Math.floor(leaseMs / 3)));
    lease.renewTimer.unref();
    return lease;
  }

  private async renew(): Promise<void> {
    await this.db.query(
      `UPDATE storage_domain SET "scanLeaseUntil" = now() + ($3 || ' milliseconds')::interval WHERE id = $1 AND "scanLeaseOwner" = $2`,
      [this.storageDomainId, this.owner, String(this.leaseMs)],
    );
  }

  /** Inside the transaction that writes the inventory: locks the row and says whether the lease is still ours. */
  async stillHeld(em: EntityManager): Promise<boolean> {
    const rows: { owner: string | null }[] = await em.query(
      `SELECT "scanLeaseOwner" AS owner FROM storage_domain WHERE id = $1 FOR UPDATE`,
      [this.storageDomainId],
    );
    return rows[0]?.owner === this.owner;
  }

  async release(): Promise<void> {
    clearInterval(this.renewTimer);
    await this.db.query(
      `UPDATE storage_domain SET "scanLeaseOwner" = NULL, "scanLeaseUntil" = NULL WHERE id = $1 AND "scanLeaseOwner" = $2`,
      [this.storageDomainId, this.owner],
    );
  }
}
