import { codedProblem } from "../../domain/coded-problem.js";
import { EstimateMethod, EstimateUnavailableReason } from "../../domain/estimate-enums.js";
import path from "node:path";
import type { Logger } from "pino";
import { In, type DataSource } from "typeorm";
import type { Config } from "../../config.js";
import { DiskStatus, StorageType } from "../../entities/enums.js";
import { Disk, StorageDomain } from "../../entities/index.js";
import { EstimateUnavailableError, estimateReclaimable } from "../../host/estimate/estimate-reclaimable.js";
import { ImageRefusal } from "../../host/inspect/image-refusal.js";
import { INSPECTION_CODES, type InspectionCode } from "../../host/inspect/inspection-code.js";
import { probePath } from "../../host/storage-probe.js";
import { recordEvent } from "../../services/audit.js";
import { loadRecordedChain } from "../../services/recorded-chain.js";
import { recordRefusal } from "../../services/refusal-recorder.js";
import { PathGuardError } from "../../host/path-guard.js";
import { guardVolumes } from "./guarded-chain.js";
import { ImageClaimedError, type ImageClaims } from "./image-claims.js";
import { refreshNeedsSparsify } from "../../services/reclaim-policy.service.js";

import type { EstimateJobData } from "../queue/job-catalog.js";

export type { EstimateJobData };

export interface EstimateDeps {
  config: Config;
  db: DataSource;
  log: Logger;
  hostName: string;
  /** This process's readers and writers of images: a sparsify run's claim stops an estimate of its leaf. */
  claims?: ImageClaims;
}

/** A disk whose leaf a sparsify run claimed mid-estimate: nothing is written for it. */
const CLAIMED = Symbol("claimed");

/** Per image: a read-only look, so a running VM's disk or a hostile filesystem cannot stall the run. */
const PER_DISK_TIMEOUT_MS = 20_000;

/**
 * Refreshes the reclaimable estimates of disks (never touching an image: read-only views), then
 * the stored needsSparsify flags. Returns how many got an estimate and how many could not.
 */
export async function processEstimate(
  data: EstimateJobData,
  d: EstimateDeps,
): Promise<{ estimated: number; unavailable: number }> {
  const domain = await d.db.getRepository(StorageDomain).findOneBy({ id: data.storageDomainId });
  if (!domain) return { estimated: 0, unavailable: 0 };
  const disks = await d.db.getRepository(Disk).find({
    where: {
      storageDomainId: domain.id,
      status: DiskStatus.OK,
      storageType: StorageType.IMAGE,
      ...(data.diskIds ? { id: In(data.diskIds) } : {}),
    },
  });
  let estimated = 0;
  let unavailable = 0;
  for (const disk of disks) {
    // Before each disk, a bounded look at the domain: on vanished or hung storage the remaining
    // disks are marked at once instead of each parser and qemu-img waiting on it.
    const probe = await probePath(domain.path, d.config.STORAGE_CHECK_TIMEOUT_MS, { readDir: true });
    if (!probe.ok) {
      const rest = disks.slice(disks.indexOf(disk)).map((x) => x.id);
      await d.db
        .getRepository(Disk)
        .update({ id: In(rest) }, { ...unavailableAs(EstimateUnavailableReason.STORAGE_UNAVAILABLE), estimatedAt: new Date() });
      d.log.warn({ domain: domain.name, reason: probe.reason }, "estimate stopped: storage unavailable");
      unavailable += rest.length;
      break;
    }
    // A disk the inspector refused (or never inspected), or whose chain is refused, is not opened.
    // A coded chain problem (IMAGE_HARDLINKED…) keeps its own code.
    const refused =
      disk.inspection?.code ?? (disk.chainProblem ? (codedProblem(disk.chainProblem)?.code ?? "CHAIN_INVALID") : null);
    // Locked since the list was read (a job was queued for it): its run may be launching in
    // another worker process, which cannot stop our reading and would meet qemu's lock held by
    // it. Not read now; the job refreshes the estimate when it ends.
    if (!refused && !(await stillIdle(d.db, disk.id))) continue;
    // Inspector codes are EstimateUnavailableReason values too (same strings, one vocabulary).
    const patch = refused ? unavailableAs(refused as unknown as EstimateUnavailableReason) : await estimateChain(disk, domain, d);
    if (patch === CLAIMED) continue; // a run on this host took the leaf; it queues its own refresh
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

/** Whether the disk is still OK (no job has locked it): one indexed read. */
async function stillIdle(db: DataSource, diskId: string): Promise<boolean> {
  const row = await db.getRepository(Disk).findOne({ select: { id: true, status: true }, where: { id: diskId } });
  return row?.status === DiskStatus.OK;
}

/** The chain comes from the inventory (own volumes, then the template's), never from headers. */
async function estimateChain(disk: Disk, domain: StorageDomain, d: EstimateDeps): Promise<Partial<Disk> | typeof CLAIMED> {
  const log = d.log.child({ diskId: disk.id });
  const { layers, ownCount } = await loadRecordedChain(d.db.manager, disk, domain);
  if (ownCount === 0) return unavailableAs(EstimateUnavailableReason.UNREADABLE);
  // Path guard: every layer is still the file the scan saw (real path, inode, one link); the
  // tools get the real paths.
  let real: string[];
  try {
    real = await guardVolumes(
      d.db,
      domain,
      layers.map((l) => l.volumeId),
      d.config.STORAGE_ROOTS,
    );
  } catch (error) {
    if (error instanceof PathGuardError) return unavailableAs(error.code as unknown as EstimateUnavailableReason);
    throw error;
  }
  try {
    const input = {
      volumes: layers.map(({ format }, i) => ({ path: real[i]!, format })),
      ownedCount: ownCount,
      domainRoot: domain.path,
      timeoutMs: PER_DISK_TIMEOUT_MS,
    };
    const e = d.claims
      ? await d.claims.read([real[0]!], (signal) => estimateReclaimable({ ...input, signal }))
      : await estimateReclaimable(input);
    return {
      reclaimableEstimate: e.reclaimableBytes,
      reclaimableAfterMerge: e.afterMergeBytes,
      estimateMethod: EstimateMethod.FREE_BLOCKS,
      estimateDetail: e.method,
      estimateUnavailableReason: null,
    };
  } catch (error) {
    if (error instanceof ImageClaimedError) return CLAIMED;
    if (error instanceof EstimateUnavailableError) {
      // A refusal found now is kept on the disk: no qemu tool opens it again until a rescan.
      if (INSPECTION_CODES.includes(error.reason))
        await recordRefusal(d.db, disk.id, new ImageRefusal(error.reason as InspectionCode, error.message));
      return unavailableAs(error.reason as EstimateUnavailableReason);
    }
    log.warn({ err: (error as Error).message }, "estimate failed");
    return unavailableAs(EstimateUnavailableReason.UNREADABLE);
  }
}

const unavailableAs = (reason: EstimateUnavailableReason): Partial<Disk> => ({
  reclaimableEstimate: null,
  reclaimableAfterMerge: null,
  estimateMethod: null,
  estimateDetail: null,
  estimateUnavailableReason: reason,
});
