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
  const inside = roots.some((root) => candidate !== root && isInside(candidate, root));
  if (!inside) return `path ${candidate} is not inside the allowed storage roots (${roots.join(", ")})`;
  return null;
}

/** True when `child` is `parent` or below it, by path components (so /a/bc is not inside /a/b). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (rel !== ".." && !rel.startsWith("../") && !path.isAbsolute(rel));
}
