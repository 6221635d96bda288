import path from "node:path";

export interface DomainRoot {
  id: string;
  /** The domain's directory with symlinks resolved, as the host sees it. */
  realPath: string;
}

/**
 * Which storage domain holds an image, and where inside it: the longest domain root that is a
 * proper ancestor of the (already resolved) path wins. Paths outside every domain map to null.
 */
export function locateVolume(realSource: string, roots: DomainRoot[]): { storageDomainId: string; relPath: string } | null {
  if (!path.isAbsolute(realSource)) return null;
  const normal = path.normalize(realSource);
  let best: { storageDomainId: string; relPath: string; len: number } | null = null;
  for (const root of roots) {
    const rel = path.relative(root.realPath, normal);
    if (!rel || rel.startsWith("..") || path.isAbsolute(rel)) continue;
    if (!best || root.realPath.length > best.len) best = { storageDomainId: root.id, relPath: rel, len: root.realPath.length };
  }
  return best && { storageDomainId: best.storageDomainId, relPath: best.relPath };
}
