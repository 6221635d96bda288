import { createHash } from "node:crypto";
import { normalize, type ByteRange } from "../estimate/interval-math.js";
import type { ReadAt } from "../estimate/partition-table.js";

const CHUNK = 4 * 1024 * 1024;

/** `[0, size)` minus `ranges`: the bytes a DIRECT run must never change. Pure. */
export function complement(ranges: readonly ByteRange[], size: number): ByteRange[] {
  const out: ByteRange[] = [];
  let at = 0;
  for (const r of normalize(ranges)) {
    if (r.start >= size) break;
    if (r.start > at) out.push({ start: at, end: r.start });
    at = Math.max(at, r.end);
  }
  if (at < size) out.push({ start: at, end: size });
  return out;
}

/**
 * SHA-256 of every byte of the disk outside `discarded` (each kept range's offset and length are
 * hashed too, so a shifted copy cannot match). Used by `verify: FULL` before and after discarding.
 */
export async function hashInUse(
  read: ReadAt,
  size: number,
  discarded: readonly ByteRange[],
  signal: AbortSignal,
): Promise<string> {
  const hash = createHash("sha256");
  for (const r of complement(discarded, size)) {
    hash.update(`${r.start}+${r.end - r.start}\n`);
    for (let at = r.start; at < r.end; at += CHUNK) {
      signal.throwIfAborted();
      const want = Math.min(CHUNK, r.end - at);
      const bytes = await read(at, want);
      if (bytes.length !== want) throw new Error(`short read at ${at}: ${bytes.length} of ${want} bytes`);
      hash.update(bytes);
    }
  }
  return hash.digest("hex");
}
