import type { EntityManager } from "typeorm";
import { groupVolumesIntoDisks } from "../domain/disk-grouping.js";
import { classifyAllocation } from "../domain/preallocation.js";
import { AllocationSource, DiskStatus } from "../entities/enums.js";
import { Disk, StorageDomain, Volume } from "../entities/index.js";
import type { VolumeReading } from "../host/scan/read-volumes.js";
import { refreshDomainAssessments } from "./disk-assessment.service.js";

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
      problem: r.problem,
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
