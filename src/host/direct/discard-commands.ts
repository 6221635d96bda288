import { normalize, type ByteRange } from "../estimate/interval-math.js";

/** qemu-io refuses a length above 2 GiB − 512 B: longer ranges go as several commands of this size. */
export const MAX_DISCARD_BYTES = 1024 ** 3;

/**
 * qemu-io commands (one a line, for its stdin) that discard exactly `ranges`, after proving each
 * is a whole range inside the `proven` free set: a range that reaches outside it, or two that
 * overlap, is a bug upstream and nothing is discarded. A range longer than {@link MAX_DISCARD_BYTES}
 * is sent in pieces of that size. `-q`: qemu-io prints only failures. Pure.
 * @throws {RangeError}
 */
export function discardCommands(ranges: readonly ByteRange[], proven: readonly ByteRange[]): string[] {
  const free = normalize(proven);
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const lines: string[] = [];
  let j = 0;
  let previousEnd = -1;
  for (const r of sorted) {
    if (!Number.isSafeInteger(r.start) || !Number.isSafeInteger(r.end) || r.start < 0 || r.end <= r.start)
      throw new RangeError(`invalid range [${r.start}, ${r.end})`);
    if (r.start < previousEnd) throw new RangeError(`ranges overlap at ${r.start}`);
    while (j < free.length && free[j]!.end < r.end) j++;
    const holder = free[j];
    if (!holder || holder.start > r.start || holder.end < r.end)
      throw new RangeError(`range [${r.start}, ${r.end}) is not inside the proven free space`);
    for (let at = r.start; at < r.end; at += MAX_DISCARD_BYTES)
      lines.push(`discard -q ${at} ${Math.min(MAX_DISCARD_BYTES, r.end - at)}`);
    previousEnd = r.end;
  }
  return lines;
}
