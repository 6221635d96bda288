import type { DataSource } from "typeorm";
import { ScanState } from "../entities/enums.js";
import { StorageDomain } from "../entities/index.js";
import { recordEvent } from "./audit.js";
import { refreshDomainAssessments } from "./disk-assessment.service.js";

export interface UnseenScanOptions {
  /** A host whose heartbeat is older than this does not count (HOST_OFFLINE_AFTER_MS). */
  hostOfflineAfterMs: number;
  /** How long the scan was given (SCAN_WAIT_MS), for the message. */
  waitedMs: number;
}

/**
 * Ends a scan that is still QUEUED because no online host sees the domain's path (missing
 * directory, no worker, roots that differ on the hosts): scanState FAILED and the domain
 * INACCESSIBLE, each with the reason, instead of QUEUED forever. A host that sees the path later
 * clears the reason and scans it (host-worker). Returns whether it ended the scan.
 */
export async function failUnseenScan(db: DataSource, storageDomainId: string, opts: UnseenScanOptions): Promise<boolean> {
  const online = `h."heartbeatAt" > now() - ($2 || ' milliseconds')::interval`;
  const failed = await db.transaction(async (em) => {
    const [row] = await em.query(
      `SELECT d.path, d.name, d."scanState", d."inaccessibleReason",
              EXISTS (SELECT 1 FROM host h WHERE d.id = ANY(h."storageDomainIds") AND ${online}) AS seen,
              (SELECT count(*)::int FROM host h WHERE ${online}) AS "onlineHosts"
         FROM storage_domain d WHERE d.id = $1 FOR UPDATE OF d`,
      [storageDomainId, String(opts.hostOfflineAfterMs)],
    );
    if (!row || row.scanState !== ScanState.QUEUED || row.seen) return null;
    // A host's own words ("… does not exist on host h1") beat our guess.
    const reason: string =
      row.inaccessibleReason ??
      (row.onlineHosts === 0
        ? `no host worker is online to read ${row.path}`
        : `none of the ${row.onlineHosts} online host(s) sees ${row.path} (is it inside their STORAGE_ROOTS?)`);
    const scanError = `No host could read the domain within ${Math.round(opts.waitedMs / 1000)} s: ${reason}`;
    await em.update(
      StorageDomain,
      { id: storageDomainId },
      { scanState: ScanState.FAILED, scanError, inaccessibleReason: reason },
    );
    await refreshDomainAssessments(em, storageDomainId);
    await recordEvent(em, {
      type: "SCAN_FAILED",
      storageDomainId,
      message: `Scan of ${row.name} failed: ${scanError}`,
      data: { reason },
    });
    return scanError;
  });
  return failed !== null;
}
