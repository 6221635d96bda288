/** Pure rules of the administration pages, in words (unit-tested; no React, no API). */

/** Path problems the browser can see before asking; the gateway checks the rest (roots, clashes). */
export function localPathProblem(path: string): string | null {
  if (!path) return null;
  if (!path.startsWith("/")) return "The path must be absolute (start with /).";
  if (/\/\.{1,2}(\/|$)|\/\/|.\/$/.test(path)) return "The path must be normalised: no //, no . or .. parts, no trailing /.";
  return null;
}

/** What removing a domain does, said before it is done (the gateway's removeStorageDomain contract). */
export function removalConsequences(domain: { diskCount?: number | null; schedule?: unknown }): string[] {
  const disks =
    domain.diskCount == null
      ? "Its disks leave"
      : domain.diskCount === 1
        ? "Its 1 disk leaves"
        : `Its ${domain.diskCount} disks leave`;
  return [
    `${disks} the inventory, with their VM attachments; past jobs stay in the history.`,
    domain.schedule ? "Its periodic sparsify schedule is removed." : "It has no schedule to remove.",
    "Image files are never deleted: the directory stays as it is on the hosts.",
    "The gateway refuses while a job is queued or running on one of its disks.",
  ];
}

/** "JOB_QUEUED, scan_failed" → ["JOB_QUEUED", "SCAN_FAILED"]; empty → no type filter. */
export const parseTypes = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((t) => t.trim().toUpperCase())
    .filter(Boolean);
