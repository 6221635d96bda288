import type { EntityManager } from "typeorm";
import type { DiskFacts } from "../domain/disk-facts.js";
import { assessSparsify } from "../domain/sparsify-blockers.js";
import type { SparsifyIssue } from "../domain/sparsify-issue.js";
import { domainStatus } from "../domain/storage-domain-status.js";
import { StorageType, type DiskAllocation, type DiskStatus } from "../entities/enums.js";
import type { StorageDomain } from "../entities/index.js";
import { copyRows, type CopyValue } from "./copy-rows.js";

/** Disks assessed per round trip: the only rows of a scan the gateway holds at once. */
const BATCH = 5_000;

/** The new disks to assess (not templates: see below), read in batches through a cursor. */
const FRESH_DISKS_SQL = `
  CREATE TEMP TABLE scan_assessment (id uuid NOT NULL, sparsifiable boolean NOT NULL, blockers jsonb NOT NULL, warnings jsonb NOT NULL)
    ON COMMIT DROP;
  DECLARE scan_fresh NO SCROLL CURSOR FOR
  SELECT id, status, allocation, own_volume_count, chain_problem, inspection FROM scan_d WHERE fresh AND NOT is_template`;

interface FreshDisk {
  id: string;
  status: DiskStatus;
  allocation: DiskAllocation;
  own_volume_count: number;
  chain_problem: string | null;
  inspection: SparsifyIssue | null;
}

/**
 * The blocker rules for the disks a scan is about to create (the staging table `scan_d`, fresh),
 * stored in the staging table `scan_assessment` so the INSERT writes each new disk once, complete,
 * instead of a second pass rewriting every new row (a disk row carries 14 indexes). A disk that
 * does not exist yet has no attachment, no job, no run left alive and no failed verification: its
 * facts are the scan's and the domain's. A new disk that is another's template is left out: its
 * derived-disk list is read from the database after the write, so its order and contents are
 * exactly the stored ones. Rows come and go in batches: memory does not grow with the domain.
 */
export async function assessFreshDisks(em: EntityManager, domain: StorageDomain): Promise<void> {
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
  const assess = (d: FreshDisk): CopyValue[] => {
    const { blockers, warnings } = assessSparsify({
      status: d.status,
      storageType: StorageType.IMAGE,
      allocation: d.allocation,
      ownVolumeCount: d.own_volume_count,
      derivedDiskAliases: [],
      chainProblem: d.chain_problem,
      inspection: d.inspection,
      domain: domainFacts,
      attachments: [],
      activeJob: null,
      runStillAlive: null,
      directVerificationFailed: null,
    });
    return [d.id, blockers.length === 0, JSON.stringify(blockers), JSON.stringify(warnings)];
  };
  await em.query(FRESH_DISKS_SQL);
  for (;;) {
    const batch = (await em.query(`FETCH ${BATCH} FROM scan_fresh`)) as FreshDisk[];
    if (batch.length > 0)
      await copyRows(em, "scan_assessment", ["id", "sparsifiable", "blockers", "warnings"], batch.map(assess));
    if (batch.length < BATCH) return;
  }
}
