import { In, type EntityManager } from "typeorm";
import type { DiskFacts } from "../domain/disk-facts.js";
import { assessSparsify } from "../domain/sparsify-blockers.js";
import { domainStatus } from "../domain/storage-domain-status.js";
import { ACTIVE_JOB_STATES } from "../entities/enums.js";
import { Disk, DiskAttachment, Host, SparsifyJob, StorageDomain, Vm } from "../entities/index.js";

const CHUNK = 2_000;

/** Runs thunks one after another, typed like Promise.all. */
async function sequence<T extends readonly (() => Promise<unknown>)[]>(thunks: T): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const out: unknown[] = [];
  for (const thunk of thunks) out.push(await thunk());
  return out as { -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> };
}

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

/** Gathers the facts of many disks with a fixed number of queries (no per-disk I/O). */
export async function loadDiskFacts(em: EntityManager, disks: Disk[]): Promise<Map<string, DiskFacts>> {
  const ids = disks.map((d) => d.id);
  const domainIds = [...new Set(disks.map((d) => d.storageDomainId))];
  // Sequential on purpose: inside a transaction all four share one connection.
  const [domains, attachments, unreachable, derived, jobs] = await sequence([
    () => em.findBy(StorageDomain, { id: In(domainIds) }),
    () => em
      .createQueryBuilder(DiskAttachment, "a")
      .innerJoin(Vm, "vm", "vm.id = a.vmId")
      .leftJoin(Host, "h", 'h.id = vm."hostId"')
      .select(['a."diskId" AS "diskId"', "a.plugged AS plugged", 'vm.name AS "vmName"', 'vm.status AS "vmStatus"', 'h.name AS "vmHost"', `vm.source = 'LIBVIRT' AS "vmFromLibvirt"`])
      .where('a."diskId" IN (:...ids)', { ids })
      .orderBy("vm.name")
      .getRawMany<{ diskId: string } & DiskFacts["attachments"][0]>(),
    () => em.query(
      `SELECT name, "storageDomainIds" FROM host WHERE "libvirtState" = 'UNREACHABLE' AND "storageDomainIds" && $1::uuid[] ORDER BY name`,
      [domainIds],
    ) as Promise<{ name: string; storageDomainIds: string[] }[]>,
    () => em
      .createQueryBuilder(Disk, "d")
      .select(['d."templateDiskId" AS "templateDiskId"', "d.alias AS alias"])
      .where('d."templateDiskId" IN (:...ids)', { ids })
      .andWhere("d.status <> 'MISSING'")
      .orderBy("d.alias")
      .getRawMany<{ templateDiskId: string; alias: string }>(),
    () => em.findBy(SparsifyJob, { diskId: In(ids), state: In([...ACTIVE_JOB_STATES]) }),
  ] as const);
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
        name: domain.name, status, statusReason: reason, kind: domain.kind, nfsVersion: domain.nfsVersion,
        libvirtUnreachableHosts: unreachable.filter((h) => h.storageDomainIds.includes(domain.id)).map((h) => h.name),
      },
      attachments: (attachmentsOf.get(disk.id) ?? []).map(({ diskId: _, vmHost, vmFromLibvirt, ...a }) => (vmFromLibvirt ? { ...a, vmHost, vmFromLibvirt } : a)),
      activeJob: job ? { id: job.id, state: job.state } : null,
      directVerificationFailed: disk.directVerificationFailed,
      runStillAlive: disk.runStillAlive ? { jobId: disk.runStillAlive.jobId, host: disk.runStillAlive.host, pids: disk.runStillAlive.processes.map((p) => p.pid) } : null,
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
