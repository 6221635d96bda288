import path from "node:path";

/**
 * Checks the form of a storage domain path (the gateway cannot see storage; hosts say whether it
 * exists). Returns the reason it is refused, or null when it is acceptable.
 */
export function storagePathProblem(candidate: string, roots: readonly string[]): string | null {
  if (candidate.length === 0) return "path is empty";
  if (candidate.length > 4096) return "path is longer than 4096 characters";
  if (/[\u0000-\u001f\u007f]/.test(candidate)) return "path contains control characters";
  if (!path.isAbsolute(candidate)) return `path ${candidate} is not absolute`;
  const normalised = path.normalize(candidate).replace(/(.)\/+$/, "$1");
  if (normalised !== candidate) return `path ${candidate} is not normalised (expected ${normalised})`;
  // A root itself may be a domain (e.g. STORAGE_ROOTS=/var/lib/libvirt/images, served as is).
  const inside = roots.some((root) => isInside(candidate, root));
  if (!inside) return `path ${candidate} is not inside the allowed storage roots (${roots.join(", ")})`;
  return null;
}

/** "/srv/x/" → "/srv/x": what users paste from shells and file managers. "/" stays "/". */
export function trimTrailingSlashes(candidate: string): string {
  let end = candidate.length; // a loop, not a regex: linear on hostile input of many slashes
  while (end > 1 && candidate[end - 1] === "/") end--;
  return candidate.slice(0, end);
}

/** True when `child` is `parent` or below it, by path components (so /a/bc is not inside /a/b). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (rel !== ".." && !rel.startsWith("../") && !path.isAbsolute(rel));
}
