/** A half-open byte range `[start, end)` on a disk or in a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Sorted, non-empty, non-overlapping and non-adjacent: the form every other function here expects. Pure. */
export function normalize(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = ranges.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** The bytes in both `a` and `b` (both normalized). Pure, linear. */
export function intersect(a: readonly ByteRange[], b: readonly ByteRange[]): ByteRange[] {
  const out: ByteRange[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    const start = Math.max(a[i]!.start, b[j]!.start);
    const end = Math.min(a[i]!.end, b[j]!.end);
    if (end > start) out.push({ start, end });
    if (a[i]!.end < b[j]!.end) i++;
    else j++;
  }
  return out;
}

export const totalBytes = (ranges: readonly ByteRange[]): number => ranges.reduce((sum, r) => sum + (r.end - r.start), 0);

/**
 * Shrinks every range to the whole `granule`-sized units it covers, counted from offset 0:
 * a discard only frees whole qcow2 clusters or host blocks, and drops the partial ends.
 * Apply it per discard request (before {@link normalize}), as the guest issues them. Pure.
 */
export function alignInward(ranges: readonly ByteRange[], granule: number): ByteRange[] {
  if (!(granule >= 1)) throw new RangeError(`granule must be ≥ 1, got ${granule}`);
  return ranges
    .map((r) => ({ start: Math.ceil(r.start / granule) * granule, end: Math.floor(r.end / granule) * granule }))
    .filter((r) => r.end > r.start);
}

/** Cuts every range to `[start, end)`; untrusted ranges must not reach outside their partition. Pure. */
export const clip = (ranges: readonly ByteRange[], start: number, end: number): ByteRange[] =>
  ranges.map((r) => ({ start: Math.max(r.start, start), end: Math.min(r.end, end) })).filter((r) => r.end > r.start);
