import type { EntityManager } from "typeorm";
import { groupVolumesIntoDisks } from "../domain/disk-grouping.js";
import { classifyAllocation } from "../domain/preallocation.js";
import { AllocationSource, DiskStatus } from "../entities/enums.js";
import { Disk, StorageDomain, Volume } from "../entities/index.js";
import type { VolumeReading } from "../host/scan/read-volumes.js";
import type { SparsifyIssue, SparsifyIssueCode } from "../domain/sparsify-issue.js";
import { refreshDomainAssessments } from "./disk-assessment.service.js";

/**
 * A disk is refused when any layer qemu would open is: its own volumes (leaf first), then its
 * template's, and so on down the chain. The first refusal found is the one shown.
 */
function diskInspections(disks: { disk: Disk; relPaths: string[] }[], readings: Map<string, VolumeReading>): Map<Disk, SparsifyIssue | null> {
  const byId = new Map(disks.map((d) => [d.disk.id, d]));
  const out = new Map<Disk, SparsifyIssue | null>();
  const of = (d: { disk: Disk; relPaths: string[] }, depth: number): SparsifyIssue | null => {
    if (out.has(d.disk)) return out.get(d.disk)!;
    let found: SparsifyIssue | null = null;
    for (const relPath of d.relPaths) {
      const refusal = readings.get(relPath)?.refusal;
      if (refusal) {
        found = { code: refusal.code as unknown as SparsifyIssueCode, message: `The image inspector refused ${relPath} (${refusal.code}): ${refusal.message}` };
        break;
      }
    }
    const template = d.disk.templateDiskId ? byId.get(d.disk.templateDiskId) : undefined;
    // Depth guard: templates cannot loop (grouping breaks loops), but never recurse unbounded.
    if (!found && template && depth < 64) found = of(template, depth + 1);
    out.set(d.disk, found);
    return found;
  };
  for (const d of disks) of(d, 0);
  return out;
}

export interface ScanSummary {
  volumes: number;
  disks: number;
  newDisks: number;
  missingDisks: number;
}

/**
 * Stores what a host read from a domain. Idempotent: volumes are keyed by path, disks by their
 * base volume, so a rescan updates rows in place. What vanished is marked MISSING, never deleted.
 */
export async function applyScan(em: EntityManager, domain: StorageDomain, readings: VolumeReading[], now = new Date()): Promise<ScanSummary> {
  const existingVolumes = new Map((await em.findBy(Volume, { storageDomainId: domain.id })).map((v) => [v.relPath, v]));
  const volumes = readings.map((r) =>
    Object.assign(existingVolumes.get(r.relPath) ?? em.create(Volume, { storageDomainId: domain.id, relPath: r.relPath }), {
      format: r.format,
      virtualSize: r.virtualSize,
      actualSize: r.actualSize,
      backingPath: r.backingPath,
      problem: r.problem ?? (r.refusal ? `${r.refusal.code}: ${r.refusal.message}` : null),
      refusalCode: r.refusal?.code ?? null,
      inspectedAt: now,
      fileDevice: r.fileDevice ?? null,
      fileInode: r.fileInode ?? null,
      missing: false,
      scannedAt: now,
    }),
  );
  await em.save(Volume, volumes, { chunk: 500 });
  const volumeByPath = new Map(volumes.map((v) => [v.relPath, v]));
  const readingByPath = new Map(readings.map((r) => [r.relPath, r]));
  for (const v of volumes) v.backingVolumeId = readingByPath.get(v.relPath)!.backingRelPath ? (volumeByPath.get(readingByPath.get(v.relPath)!.backingRelPath!)?.id ?? null) : null;

  const groups = groupVolumesIntoDisks(readings);
  const existingDisks = await em.findBy(Disk, { storageDomainId: domain.id });
  const diskByBase = new Map(existingDisks.filter((d) => d.baseVolumeId).map((d) => [d.baseVolumeId!, d]));
  let newDisks = 0;
  const disks = groups.map((g) => {
    const own = g.volumeRelPaths.map((p) => volumeByPath.get(p)!);
    const leaf = readingByPath.get(g.volumeRelPaths[0]!)!;
    const base = own[own.length - 1]!;
    let disk = diskByBase.get(base.id);
    if (!disk) {
      newDisks++;
      disk = em.create(Disk, { storageDomainId: domain.id, baseVolumeId: base.id });
    }
    const unreadable = g.volumeRelPaths.some((p) => readingByPath.get(p)!.unreadable);
    Object.assign(disk, {
      alias: g.alias,
      format: leaf.format,
      virtualSize: leaf.virtualSize,
      actualSize: own.reduce((sum, v) => sum + v.actualSize, 0),
      ownVolumeCount: own.length,
      leafVolumeId: own[0]!.id,
      chainProblem: g.chainProblem,
      // A running job holds the lock; the job itself refreshes the disk when it ends.
      status: disk.status === DiskStatus.LOCKED ? DiskStatus.LOCKED : unreadable ? DiskStatus.ILLEGAL : DiskStatus.OK,
    });
    if (disk.allocationSource !== AllocationSource.SET_BY_USER || !disk.id) {
      const verdict = classifyAllocation(leaf);
      disk.allocation = verdict.allocation;
      disk.allocationSource = verdict.source;
    }
    return { disk, group: g, own };
  });
  await em.save(Disk, disks.map((d) => d.disk), { chunk: 500 });

  const diskIdByBasePath = new Map(disks.map(({ disk, group }) => [group.baseRelPath, disk.id]));
  for (const { disk, group, own } of disks) {
    disk.templateDiskId = group.templateBaseRelPath ? (diskIdByBasePath.get(group.templateBaseRelPath) ?? null) : null;
    own.forEach((v, depth) => Object.assign(v, { diskId: disk.id, depth }));
  }
  const inspections = diskInspections(disks.map(({ disk, group }) => ({ disk, relPaths: group.volumeRelPaths })), readingByPath);
  for (const { disk } of disks) disk.inspection = inspections.get(disk) ?? null;
  const owned = new Set(disks.flatMap(({ own }) => own.map((v) => v.id)));
  for (const v of volumes) if (!owned.has(v.id)) v.diskId = null;
  await em.save(Disk, disks.map((d) => d.disk), { chunk: 500 });
  await em.save(Volume, volumes, { chunk: 500 });

  const seenPaths = new Set(readings.map((r) => r.relPath));
  const vanished = [...existingVolumes.values()].filter((v) => !seenPaths.has(v.relPath) && !v.missing);
  for (const v of vanished) v.missing = true;
  await em.save(Volume, vanished, { chunk: 500 });

  const current = new Set(disks.map(({ disk }) => disk.id));
  const missing = existingDisks.filter((d) => !current.has(d.id) && d.status !== DiskStatus.MISSING);
  for (const d of missing) d.status = DiskStatus.MISSING;
  await em.save(Disk, missing, { chunk: 500 });

  await refreshDomainAssessments(em, domain.id);
  return { volumes: readings.length, disks: disks.length, newDisks, missingDisks: missing.length };
}
