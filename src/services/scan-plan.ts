import { groupVolumesIntoDisks, type DiskGroup } from "../domain/disk-grouping.js";
import { classifyAllocation } from "../domain/preallocation.js";
import type { SparsifyIssue, SparsifyIssueCode } from "../domain/sparsify-issue.js";
import { AllocationSource, DiskAllocation, DiskFormat, DiskStatus } from "../entities/enums.js";
import type { ImageFormat } from "../host/image-format.js";
import type { VolumeReading } from "../host/scan/read-volumes.js";

/** What a scan stores for one disk, keyed by relative paths: the database turns them into ids. */
export interface PlannedDisk {
  baseRelPath: string;
  leafRelPath: string;
  alias: string;
  format: DiskFormat;
  virtualSize: number;
  actualSize: number;
  ownVolumeCount: number;
  chainProblem: string | null;
  /** OK or ILLEGAL (a layer qemu-img could not open); a LOCKED disk keeps its lock when stored. */
  status: DiskStatus.OK | DiskStatus.ILLEGAL;
  /** Detected from the leaf; a disk whose allocation an admin set keeps it when stored. */
  allocation: DiskAllocation;
  allocationSource: AllocationSource;
  templateBaseRelPath: string | null;
  inspection: SparsifyIssue | null;
}

/** Where one image sits: its disk (by the disk's base path) and its depth there (0 = leaf). */
export interface VolumePlace {
  diskBaseRelPath: string;
  depth: number;
}

export interface ScanPlan {
  disks: PlannedDisk[];
  /** Every image that belongs to a disk; one a pure loop strands has none. */
  placeOf: Map<string, VolumePlace>;
}

export const diskFormatOf = (format: ImageFormat): DiskFormat => (format === "qcow2" ? DiskFormat.QCOW2 : DiskFormat.RAW);

/** The stored problem text of one image: its own problem, else the inspector's refusal. */
export const volumeProblem = (r: VolumeReading): string | null =>
  r.problem ?? (r.refusal ? `${r.refusal.code}: ${r.refusal.message}` : null);

/**
 * A disk is refused when any layer qemu would open is: its own volumes (leaf first), then its
 * template's, and so on down the chain. The first refusal found is the one shown.
 */
function inspections(groups: DiskGroup[], readingOf: Map<string, VolumeReading>): Map<string, SparsifyIssue | null> {
  const byBase = new Map(groups.map((g) => [g.baseRelPath, g]));
  const out = new Map<string, SparsifyIssue | null>();
  const of = (g: DiskGroup, depth: number): SparsifyIssue | null => {
    if (out.has(g.baseRelPath)) return out.get(g.baseRelPath)!;
    let found: SparsifyIssue | null = null;
    for (const relPath of g.volumeRelPaths) {
      const refusal = readingOf.get(relPath)?.refusal;
      if (refusal) {
        const message = `The image inspector refused ${relPath} (${refusal.code}): ${refusal.message}`;
        found = { code: refusal.code as unknown as SparsifyIssueCode, message };
        break;
      }
    }
    const template = g.templateBaseRelPath ? byBase.get(g.templateBaseRelPath) : undefined;
    // Depth guard: templates cannot loop (grouping breaks loops), but never recurse unbounded.
    if (!found && template && depth < 64) found = of(template, depth + 1);
    out.set(g.baseRelPath, found);
    return found;
  };
  for (const g of groups) of(g, 0);
  return out;
}

/**
 * Groups a domain's readings into disks and works out everything stored about each, in memory
 * and without ids: the statement of the rules, pure. A scan does the same in SQL without holding
 * the domain (scan-grouping-sql.ts), and a test checks that it stores exactly this plan.
 */
export function planScan(readings: readonly VolumeReading[]): ScanPlan {
  const readingOf = new Map(readings.map((r) => [r.relPath, r]));
  const groups = groupVolumesIntoDisks(readings as VolumeReading[]);
  const refused = inspections(groups, readingOf);
  const placeOf = new Map<string, VolumePlace>();
  const disks = groups.map((g): PlannedDisk => {
    const own = g.volumeRelPaths.map((p) => readingOf.get(p)!);
    const leaf = own[0]!;
    g.volumeRelPaths.forEach((p, depth) => placeOf.set(p, { diskBaseRelPath: g.baseRelPath, depth }));
    const verdict = classifyAllocation({ ...leaf, format: diskFormatOf(leaf.format) });
    return {
      baseRelPath: g.baseRelPath,
      leafRelPath: leaf.relPath,
      alias: g.alias,
      format: diskFormatOf(leaf.format),
      virtualSize: leaf.virtualSize,
      actualSize: own.reduce((sum, v) => sum + v.actualSize, 0),
      ownVolumeCount: own.length,
      chainProblem: g.chainProblem,
      status: own.some((v) => v.unreadable) ? DiskStatus.ILLEGAL : DiskStatus.OK,
      allocation: verdict.allocation,
      allocationSource: verdict.source,
      templateBaseRelPath: g.templateBaseRelPath,
      inspection: refused.get(g.baseRelPath) ?? null,
    };
  });
  return { disks, placeOf };
}
