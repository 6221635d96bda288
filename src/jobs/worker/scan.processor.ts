import { randomUUID } from "node:crypto";
import type { Job } from "bullmq";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../../config.js";
import { ScanState } from "../../entities/enums.js";
import { StorageDomain } from "../../entities/index.js";
import { readNfsVersion } from "../../host/nfs-mounts.js";
import { probePath } from "../../host/storage-probe.js";
import { probeDomain } from "../../host/scan/probe-domain.js";
import { readVolumesInto } from "../../host/scan/read-volumes.js";
import { walkImages } from "../../host/scan/walk-images.js";
import { recordEvent } from "../../services/audit.js";
import { refreshDomainAssessments } from "../../services/disk-assessment.service.js";
import { applyScan, type ScanSummary } from "../../services/inventory-writer.js";
import { ReadingSpool } from "../../services/reading-spool.js";
import { ScanLease } from "../../services/scan-lease.js";
import type { EventBus } from "../queue/event-bus.js";
import type { ScanJobData } from "../queue/queue-names.js";

export interface ScanDeps {
  config: Config;
  db: DataSource;
  bus: EventBus;
  log: Logger;
  hostName: string;
}

/** Returned when another scan holds the domain: the caller re-queues the job with a delay. */
export const SCAN_DEFERRED = "deferred" as const;

/** Longer than any healthy step between renewals; a dead worker's lease lapses after it. */
const LEASE_MS = 60_000;

/**
 * Reads a storage domain on this host and stores the inventory; reports DONE or FAILED, or
 * defers when another scan of the domain is under way. The files are read and the qemu calls
 * made with no transaction open and no connection held; only the final write is a transaction,
 * and it checks the scan still holds the domain's lease, so a slower, older reading can never
 * overwrite a newer one.
 */
export async function processScan(job: Job<ScanJobData>, deps: ScanDeps): Promise<ScanSummary | null | typeof SCAN_DEFERRED> {
  const { db, bus, log } = deps;
  const domain = await db.getRepository(StorageDomain).findOneBy({ id: job.data.storageDomainId });
  if (!domain) return null; // removed while queued
  const lease = await ScanLease.take(db, domain.id, `${deps.hostName}:${job.id}:${randomUUID()}`, LEASE_MS);
  if (!lease) return SCAN_DEFERRED;
  const setState = async (scanState: ScanState, extra: Partial<StorageDomain> = {}) => {
    await db.getRepository(StorageDomain).update({ id: domain.id }, { scanState, ...extra });
    await bus.publish({ type: "scan", storageDomainId: domain.id, state: scanState, scanJobId: job.id }).catch(() => {});
  };
  const started = Date.now();
  // Say what the storage is doing rather than hang on it (or mark every disk MISSING when it is gone).
  const probe = await probePath(domain.path, deps.config.STORAGE_CHECK_TIMEOUT_MS, { readDir: true });
  if (!probe.ok) {
    const reason = `${probe.reason} on host ${deps.hostName}`;
    await db.transaction(async (em) => {
      await em.update(StorageDomain, { id: domain.id }, { inaccessibleReason: reason });
      await refreshDomainAssessments(em, domain.id);
    });
    await setState(ScanState.FAILED, { scanError: reason });
    await recordEvent(db.manager, {
      type: "SCAN_FAILED",
      storageDomainId: domain.id,
      message: `Scan of ${domain.name} failed on ${deps.hostName}: ${reason}`,
    });
    return null;
  }
  let spool: ReadingSpool | undefined;
  try {
    await setState(ScanState.SCANNING);
    await probeDomain(domain.path, deps.config.SCAN_PROBE_TIMEOUT_MS);
    // Each reading goes to a private spool file as it is read, not into memory; the write streams it into COPY.
    spool = await ReadingSpool.create(deps.config.STORAGE_ROOTS);
    const readings = spool;
    // The walk above can pass on cached attributes while the server hangs: each step of this one is bounded too.
    // It finds the images as the readers take them, so no list of the domain's names is ever held.
    const images = walkImages(domain.path, { stepTimeoutMs: deps.config.SCAN_PROBE_TIMEOUT_MS });
    await readVolumesInto(images, domain.path, deps.config.STORAGE_ROOTS, (reading) => readings.write(reading));
    await spool.finish();
    const nfsVersion = await readNfsVersion(domain.path);
    const summary = await db.transaction(async (em) => {
      if (!(await lease.stillHeld(em))) return SCAN_DEFERRED; // lapsed and taken: that scan's reading wins
      await em.update(StorageDomain, { id: domain.id }, { nfsVersion });
      const fresh = (await em.findOneBy(StorageDomain, { id: domain.id }))!;
      // A new NFS version changes a fact of every disk (NFS_TOO_OLD): then all are assessed again.
      const result = await applyScan(em, fresh, readings, { domainChanged: fresh.nfsVersion !== domain.nfsVersion });
      await recordEvent(em, {
        type: "SCAN_FINISHED",
        actor: job.data.requestedBy,
        storageDomainId: domain.id,
        message:
          `Scan of ${domain.name} on ${deps.hostName}: ${result.disks} disks (${result.newDisks} new, ` +
          `${result.missingDisks} missing) in ${result.volumes} volumes`,
        data: { ...result, reason: job.data.reason, host: deps.hostName, ms: Date.now() - started },
      });
      return result;
    });
    if (summary === SCAN_DEFERRED) return summary;
    await setState(ScanState.DONE, { lastScannedAt: new Date(), scanError: null });
    log.info({ domain: domain.name, ...summary, ms: Date.now() - started }, "scan finished");
    return summary;
  } catch (error) {
    const message = (error as Error).message;
    log.warn({ domain: domain.name, err: message }, "scan failed");
    await setState(ScanState.FAILED, { scanError: message });
    await recordEvent(db.manager, {
      type: "SCAN_FAILED",
      storageDomainId: domain.id,
      message: `Scan of ${domain.name} failed on ${deps.hostName}: ${message}`,
    });
    return null;
  } finally {
    await spool?.dispose().catch(() => undefined);
    await lease.release().catch(() => undefined);
  }
}
