import { normalize, type ByteRange } from "./interval-math.js";

/** One entry of `qemu-img map --output=json`. */
export interface MapEntry {
  start: number;
  length: number;
  /** 0: stored in the opened image itself; n: in its n-th backing layer. */
  depth: number;
  zero: boolean;
  data: boolean;
  /** Where the bytes are in the file of layer `depth`; absent when nothing is stored (or compressed). */
  offset?: number;
}

/** A guest range a layer stores itself, and where in its own file. */
export interface OwnExtent extends ByteRange {
  hostOffset: number;
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** Validates the JSON array printed by `qemu-img map --output=json`. Pure. */
export function parseQemuImgMap(json: unknown): MapEntry[] {
  if (!Array.isArray(json)) throw new Error("qemu-img map JSON is not an array");
  return json.map((e: Record<string, unknown>, i) => {
    if (
      !isCount(e.start) ||
      !isCount(e.length) ||
      !isCount(e.depth) ||
      typeof e.data !== "boolean" ||
      typeof e.zero !== "boolean"
    ) {
      throw new Error(`qemu-img map entry ${i} is malformed: ${JSON.stringify(e)}`);
    }
    if (e.offset !== undefined && !isCount(e.offset)) throw new Error(`qemu-img map entry ${i} has a bad offset`);
    return {
      start: e.start,
      length: e.length,
      depth: e.depth,
      zero: e.zero,
      data: e.data,
      ...(e.offset !== undefined ? { offset: e.offset } : {}),
    };
  });
}

/**
 * The guest ranges a qcow2 layer owns: depth 0 with a host offset. That includes zero clusters
 * that keep a preallocated offset (`zero: true` with `offset`): a discard frees them too.
 * Whether the host file really has blocks there is the host map's business. Pure.
 */
export const ownExtents = (entries: readonly MapEntry[]): OwnExtent[] =>
  entries
    .filter((e) => e.depth === 0 && e.offset !== undefined && e.length > 0)
    .map((e) => ({ start: e.start, end: e.start + e.length, hostOffset: e.offset! }))
    .sort((a, b) => a.start - b.start);

/**
 * Byte ranges with data in a file mapped as raw (`qemu-img map -f raw`): what lseek
 * SEEK_DATA sees as allocated. `data: false` runs are holes, or fallocated-but-unwritten
 * extents, which SEEK_DATA cannot tell apart (see host-allocation.ts). Pure.
 */
export const dataExtents = (entries: readonly MapEntry[]): ByteRange[] =>
  normalize(entries.filter((e) => e.depth === 0 && e.data).map((e) => ({ start: e.start, end: e.start + e.length })));
