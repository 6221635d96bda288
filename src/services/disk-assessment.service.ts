import { In, type EntityManager } from "typeorm";
import type { DiskFacts } from "../domain/disk-facts.js";
import { assessSparsify } from "../domain/sparsify-blockers.js";
import { domainStatus } from "../domain/storage-domain-status.js";
import { ACTIVE_JOB_STATES } from "../entities/enums.js";
import { Disk, type SparsifyJob, type StorageDomain } from "../entities/index.js";

const CHUNK = 2_000;

/** Map.groupBy arrives in Node 21; this runs on Node 20. */
function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

interface FactRows {
  domains: Pick<StorageDomain, "id" | "name" | "kind" | "nfsVersion" | "active" | "inaccessibleReason">[];
  attachments: ({ diskId: string } & DiskFacts["attachments"][0])[];
  unreachable: { name: string; storageDomainIds: string[] }[];
  derived: { templateDiskId: string; alias: string }[];
  jobs: { diskId: string; id: string; state: SparsifyJob["state"] }[];
}

/** $1 disk ids, $2 their domain ids, $3 the active job states. Orders as the lists are shown. */
const FACTS_SQL = `SELECT
  (SELECT coalesce(json_agg(json_build_object('id', sd.id, 'name', sd.name, 'kind', sd.kind, 'nfsVersion', sd."nfsVersion",
      'active', sd.active, 'inaccessibleReason', sd."inaccessibleReason")), '[]')
     FROM storage_domain sd WHERE sd.id = ANY($2::uuid[])) AS domains,
  (SELECT coalesce(json_agg(json_build_object('diskId', a."diskId", 'plugged', a.plugged, 'vmName', vm.name, 'vmStatus', vm.status,
      'vmHost', h.name, 'vmFromLibvirt', vm.source = 'LIBVIRT', 'vmHostLibvirt', h."libvirtState", 'vmLibvirtState',
      vm."libvirtState") ORDER BY vm.name), '[]')
     FROM disk_attachment a JOIN vm ON vm.id = a."vmId" LEFT JOIN host h ON h.id = vm."hostId"
    WHERE a."diskId" = ANY($1::uuid[])) AS attachments,
  (SELECT coalesce(json_agg(json_build_object('name', h.name, 'storageDomainIds', h."storageDomainIds") ORDER BY h.name), '[]')
     FROM host h WHERE h."libvirtState" = 'UNREACHABLE' AND h."storageDomainIds" && $2::uuid[]) AS unreachable,
  (SELECT coalesce(json_agg(json_build_object('templateDiskId', d."templateDiskId", 'alias', d.alias) ORDER BY d.alias), '[]')
     FROM disk d WHERE d."templateDiskId" = ANY($1::uuid[]) AND d.status <> 'MISSING') AS derived,
  (SELECT coalesce(json_agg(json_build_object('diskId', j."diskId", 'id', j.id, 'state', j.state)), '[]')
     FROM sparsify_job j WHERE j."diskId" = ANY($1::uuid[]) AND j.state::text = ANY($3::text[])) AS jobs`;

/** Gathers the facts of many disks with a fixed number of queries (no per-disk I/O). */
export async function loadDiskFacts(em: EntityManager, disks: Disk[]): Promise<Map<string, DiskFacts>> {
  const ids = disks.map((d) => d.id);
  const domainIds = [...new Set(disks.map((d) => d.storageDomainId))];
  // One statement, one round trip: each fact is a JSON array built by its own subquery (five
  // separate queries cost five round trips inside the request's transaction).
  const [row] = (await em.query(FACTS_SQL, [ids, domainIds, [...ACTIVE_JOB_STATES]])) as [FactRows];
  const { domains, attachments, unreachable, derived, jobs } = row;
  const domainById = new Map(domains.map((d) => [d.id, d]));
  const attachmentsOf = groupBy(attachments, (a) => a.diskId);
  const derivedOf = groupBy(derived, (r) => r.templateDiskId);
  const jobOf = new Map(jobs.map((j) => [j.diskId, j]));
  const facts = new Map<string, DiskFacts>();
  for (const disk of disks) {
    const domain = domainById.get(disk.storageDomainId)!;
    const { status, reason } = domainStatus(domain);
    const job = jobOf.get(disk.id);
    facts.set(disk.id, {
      status: disk.status,
      storageType: disk.storageType,
      allocation: disk.allocation,
      ownVolumeCount: disk.ownVolumeCount,
      derivedDiskAliases: (derivedOf.get(disk.id) ?? []).map((r) => r.alias),
      chainProblem: disk.chainProblem,
      inspection: disk.inspection,
      domain: {
        name: domain.name,
        status,
        statusReason: reason,
        kind: domain.kind,
        nfsVersion: domain.nfsVersion,
        libvirtUnreachableHosts: unreachable.filter((h) => h.storageDomainIds.includes(domain.id)).map((h) => h.name),
      },
      attachments: (attachmentsOf.get(disk.id) ?? []).map(
        ({ diskId: _, vmHost, vmFromLibvirt, vmHostLibvirt, vmLibvirtState, ...a }) =>
          vmFromLibvirt ? { ...a, vmHost, vmFromLibvirt, vmHostLibvirt, vmLibvirtState } : a,
      ),
      activeJob: job ? { id: job.id, state: job.state } : null,
      directVerificationFailed: disk.directVerificationFailed,
      runStillAlive: disk.runStillAlive
        ? { jobId: disk.runStillAlive.jobId, host: disk.runStillAlive.host, pids: disk.runStillAlive.processes.map((p) => p.pid) }
        : null,
    });
  }
  return facts;
}

/**
 * Re-runs the blocker rules for the given disks and stores the result, so lists can filter and
 * count `sparsifiable` in SQL. Call it whenever a fact the rules read changes.
 */
export async function refreshAssessments(em: EntityManager, diskIds: string[]): Promise<void> {
  for (let i = 0; i < diskIds.length; i += CHUNK) {
    const disks = await em.findBy(Disk, { id: In(diskIds.slice(i, i + CHUNK)) });
    if (disks.length === 0) continue;
    const facts = await loadDiskFacts(em, disks);
    const rows = disks.map((d) => {
      const { blockers, warnings } = assessSparsify(facts.get(d.id)!);
      return { id: d.id, sparsifiable: blockers.length === 0, blockers, warnings };
    });
    await em.query(
      `UPDATE disk d SET sparsifiable = x.sparsifiable, blockers = x.blockers, warnings = x.warnings
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, sparsifiable boolean, blockers jsonb, warnings jsonb)
        WHERE d.id = x.id
          AND (d.sparsifiable, d.blockers, d.warnings) IS DISTINCT FROM (x.sparsifiable, x.blockers, x.warnings)`,
      [JSON.stringify(rows)],
    );
  }
}

/**
 * Re-runs the rules for the disks a query names (`SELECT id …`), read through a cursor a chunk at
 * a time, so a set as big as a domain is never in memory at once. Needs a transaction.
 */
export async function refreshAssessmentsOf(em: EntityManager, selectIds: string): Promise<void> {
  await em.query(`DECLARE refresh_ids NO SCROLL CURSOR FOR ${selectIds}`);
  for (;;) {
    const rows = (await em.query(`FETCH ${CHUNK} FROM refresh_ids`)) as { id: string }[];
    await refreshAssessments(
      em,
      rows.map((r) => r.id),
    );
    if (rows.length < CHUNK) break;
  }
  await em.query("CLOSE refresh_ids");
}

/** Every disk of a domain (domain status, NFS version… changed). */
export async function refreshDomainAssessments(em: EntityManager, storageDomainId: string): Promise<void> {
  const rows: { id: string }[] = await em.query(`SELECT id FROM disk WHERE "storageDomainId" = $1`, [storageDomainId]);
  await refreshAssessments(
    em,
    rows.map((r) => r.id),
  );
}

/** Disks whose derived-disk list may change when these disks change (their templates). */
export async function withTemplates(em: EntityManager, diskIds: string[]): Promise<string[]> {
  if (diskIds.length === 0) return [];
  const rows: { templateDiskId: string }[] = await em.query(
    `SELECT DISTINCT "templateDiskId" FROM disk WHERE id = ANY($1::uuid[]) AND "templateDiskId" IS NOT NULL`,
    [diskIds],
  );
  return [...new Set([...diskIds, ...rows.map((r) => r.templateDiskId)])];
}
