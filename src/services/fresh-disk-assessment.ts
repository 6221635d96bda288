import type { EntityManager } from "typeorm";
import type { DiskFacts } from "../domain/disk-facts.js";
import { assessSparsify } from "../domain/sparsify-blockers.js";
import { domainStatus } from "../domain/storage-domain-status.js";
import { StorageType } from "../entities/enums.js";
import type { StorageDomain } from "../entities/index.js";
import type { PlannedDisk } from "./scan-plan.js";

/** A disk's stored assessment, ready for COPY (the lists as JSON text). */
export interface FreshAssessment {
  sparsifiable: boolean;
  blockers: string;
  warnings: string;
}

/**
 * The blocker rules for the disks a scan is about to create, worked out from the plan alone so the
 * INSERT writes each new disk once, complete, instead of a second pass rewriting every new row (a
 * disk row carries 14 indexes). A disk that does not exist yet has no attachment, no job, no run
 * left alive and no failed verification: its facts are the plan's and the domain's. A planned disk
 * that is another planned disk's template is left out (undefined): its derived-disk list is read
 * from the database after the write, as before, so its order and contents are exactly the stored ones.
 */
export async function freshAssessments(
  em: EntityManager,
  domain: StorageDomain,
  disks: readonly PlannedDisk[],
): Promise<(FreshAssessment | undefined)[]> {
  const unreachable: { name: string }[] = await em.query(
    `SELECT name FROM host WHERE "libvirtState" = 'UNREACHABLE' AND $1::uuid = ANY("storageDomainIds") ORDER BY name`,
    [domain.id],
  );
  const { status, reason } = domainStatus(domain);
  const domainFacts: DiskFacts["domain"] = {
    name: domain.name,
    status,
    statusReason: reason,
    kind: domain.kind,
    nfsVersion: domain.nfsVersion,
    libvirtUnreachableHosts: unreachable.map((h) => h.name),
  };
  const templates = new Set(disks.flatMap((d) => (d.templateBaseRelPath ? [d.templateBaseRelPath] : [])));
  return disks.map((d) => {
    if (templates.has(d.baseRelPath)) return undefined;
    const { blockers, warnings } = assessSparsify({
      status: d.status,
      storageType: StorageType.IMAGE,
      allocation: d.allocation,
      ownVolumeCount: d.ownVolumeCount,
      derivedDiskAliases: [],
      chainProblem: d.chainProblem,
      inspection: d.inspection,
      domain: domainFacts,
      attachments: [],
      activeJob: null,
      runStillAlive: null,
      directVerificationFailed: null,
    });
    return { sparsifiable: blockers.length === 0, blockers: JSON.stringify(blockers), warnings: JSON.stringify(warnings) };
  });
}
