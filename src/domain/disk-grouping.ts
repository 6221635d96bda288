import path from "node:path";

/** What grouping needs to know about one image file of a domain. */
export interface VolumeLink {
  relPath: string;
  /** The backing file, relative to the domain, when it has one inside the domain. */
  backingRelPath: string | null;
  /** Why this volume or its backing reference is refused (outside roots, no format…). */
  problem: string | null;
}

export interface DiskGroup {
  /** The lowest own volume: the disk's identity, stable when snapshots add new leaves. */
  baseRelPath: string;
  /** Own volumes, leaf (active layer) first. */
  volumeRelPaths: string[];
  alias: string;
  /** Base volume of the template disk this disk is derived from, if any. */
  templateBaseRelPath: string | null;
  /** First problem found along the own chain; the disk is then refused. */
  chainProblem: string | null;
}

/** The file name without its image extension. */
export function aliasOf(relPath: string): string {
  return path.basename(relPath).replace(/\.(qcow2|raw|img)$/i, "");
}

/**
 * Groups image files into disks:
 * - a volume that backs no other image is a leaf, and tops a disk;
 * - a volume that backs two or more images is a template: a disk of its own, and the disks above
 *   it are derived from it;
 * - a disk owns its leaf plus the volumes below that back only its chain (its snapshot layers).
 */
export function groupVolumesIntoDisks(volumes: VolumeLink[]): DiskGroup[] {
  const byPath = new Map(volumes.map((v) => [v.relPath, v]));
  const children = new Map<string, string[]>();
  for (const v of volumes) {
    if (v.backingRelPath && byPath.has(v.backingRelPath)) {
      const list = children.get(v.backingRelPath) ?? [];
      list.push(v.relPath);
      children.set(v.backingRelPath, list);
    }
  }
  const childCount = (p: string) => children.get(p)?.length ?? 0;
  const tops = volumes.filter((v) => childCount(v.relPath) !== 1).map((v) => v.relPath);

  const baseOfTop = new Map<string, string>();
  const groups = tops.sort().map((top) => {
    const chain = [top];
    let problem: string | null = byPath.get(top)!.problem;
    let templateTop: string | null = null;
    const seen = new Set(chain);
    for (let cur = byPath.get(top)!; cur.backingRelPath;) {
      const backing = byPath.get(cur.backingRelPath);
      if (!backing) {
        problem ??= `backing file ${cur.backingRelPath} of ${cur.relPath} is missing`;
        break;
      }
      if (seen.has(backing.relPath)) {
        problem ??= `backing chain of ${top} loops at ${backing.relPath}`;
        break;
      }
      if (childCount(backing.relPath) > 1) {
        templateTop = backing.relPath;
        break;
      }
      chain.push(backing.relPath);
      seen.add(backing.relPath);
      problem ??= backing.problem;
      cur = backing;
    }
    const baseRelPath = chain[chain.length - 1]!;
    baseOfTop.set(top, baseRelPath);
    return { baseRelPath, volumeRelPaths: chain, alias: aliasOf(baseRelPath), templateTop, chainProblem: problem };
  });

  // A pure loop (a→b→a) has no top; never let its images vanish from the inventory.
  const covered = new Set(groups.flatMap((g) => g.volumeRelPaths));
  const stranded = volumes
    .filter((v) => !covered.has(v.relPath))
    .map((v) => v.relPath)
    .sort();
  for (const relPath of stranded) {
    if (covered.has(relPath)) continue;
    covered.add(relPath);
    groups.push({
      baseRelPath: relPath,
      volumeRelPaths: [relPath],
      alias: aliasOf(relPath),
      templateTop: null,
      chainProblem: `backing chain of ${relPath} loops back on itself`,
    });
  }

  return groups.map(({ templateTop, ...g }) => ({
    ...g,
    templateBaseRelPath: templateTop ? (baseOfTop.get(templateTop) ?? null) : null,
  }));
}
