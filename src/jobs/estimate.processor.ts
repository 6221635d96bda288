import type { Logger } from "pino";
import { In, type DataSource } from "typeorm";
import type { Config } from "../config.js";
import { DiskFormat, DiskStatus, StorageType } from "../entities/enums.js";
import { Disk, StorageDomain, Volume } from "../entities/index.js";
import { EstimateUnavailableError, estimateReclaimable } from "../host/estimate/estimate-reclaimable.js";
import { PathGuardError } from "../host/path-guard.js";
import { recordEvent } from "../services/audit.js";
import { guardDiskChain } from "./guarded-chain.js";
import { refreshNeedsSparsify } from "../services/reclaim-policy.service.js";

export interface EstimateJobData {
  storageDomainId: string;
  /** Only these disks; all of the domain's when absent. */
  diskIds?: string[];
  requestedBy: string;
}

export interface EstimateDeps {
  config: Config;
  db: DataSource;
  log: Logger;
  hostName: string;
}

/** Per image: a read-only look, so a running VM's disk or a hostile filesystem cannot stall the run. */
const PER_DISK_TIMEOUT_MS = 20_000;

/**
 * Refreshes the reclaimable estimates of disks (never touching an image: read-only views), then
 * the stored needsSparsify flags. Returns how many got an estimate and how many could not.
 */
export async function processEstimate(data: EstimateJobData, d: EstimateDeps): Promise<{ estimated: number; unavailable: number }> {
  const domain = await d.db.getRepository(StorageDomain).findOneBy({ id: data.storageDomainId });
  if (!domain) return { estimated: 0, unavailable: 0 };
  const disks = await d.db.getRepository(Disk).find({
    where: { storageDomainId: domain.id, status: DiskStatus.OK, storageType: StorageType.IMAGE, ...(data.diskIds ? { id: In(data.diskIds) } : {}) },
  });
  const volumes = disks.length ? await d.db.getRepository(Volume).find({ where: { diskId: In(disks.map((x) => x.id)), missing: false }, order: { depth: "ASC" } }) : [];
  let estimated = 0;
  let unavailable = 0;
  for (const disk of disks) {
    const ownVolumes = volumes.filter((v) => v.diskId === disk.id);
    const patch = await estimateGuarded(d, domain, ownVolumes, d.log.child({ diskId: disk.id }));
    if (patch.reclaimableEstimate !== null) estimated++;
    else unavailable++;
    await d.db.getRepository(Disk).update({ id: disk.id }, { ...patch, estimatedAt: new Date() });
  }
  await refreshNeedsSparsify(d.db.manager, d.config, domain.id, data.diskIds ?? undefined);
  if (!data.diskIds) {
    await recordEvent(d.db.manager, {
      type: "ESTIMATE_FINISHED",
      actor: data.requestedBy,
      storageDomainId: domain.id,
      message: `Reclaimable space estimated on ${d.hostName} for ${estimated} of ${disks.length} disk(s) of ${domain.name}`,
      data: { estimated, unavailable },
    });
  }
  return { estimated, unavailable };
}

/** Proves the layers are still the files the scan saw (path guard), then estimates from their real paths. */
async function estimateGuarded(d: EstimateDeps, domain: StorageDomain, own: Volume[], log: Logger): Promise<Partial<Disk>> {
  let paths: string[] = [];
  try {
    if (own.length) paths = (await guardDiskChain(d.db, domain, own, d.config.STORAGE_ROOTS)).own;
  } catch (error) {
    if (error instanceof PathGuardError) return unavailableAs(error.code);
    throw error;
  }
  return estimateOne(own.map((v, i) => ({ path: paths[i]!, format: v.format === DiskFormat.QCOW2 ? ("qcow2" as const) : ("raw" as const) })), log);
}

async function estimateOne(own: { path: string; format: "raw" | "qcow2" }[], log: Logger): Promise<Partial<Disk>> {
  if (own.length === 0) return unavailableAs("UNREADABLE");
  try {
    const e = await estimateReclaimable({ volumes: own, timeoutMs: PER_DISK_TIMEOUT_MS });
    return { reclaimableEstimate: e.reclaimableBytes, reclaimableAfterMerge: e.afterMergeBytes, estimateMethod: e.method, estimateUnavailableReason: null };
  } catch (error) {
    if (error instanceof EstimateUnavailableError) return unavailableAs(error.reason);
    log.warn({ err: (error as Error).message }, "estimate failed");
    return unavailableAs("UNREADABLE");
  }
}

const unavailableAs = (reason: string): Partial<Disk> => ({ reclaimableEstimate: null, reclaimableAfterMerge: null, estimateMethod: null, estimateUnavailableReason: reason });
