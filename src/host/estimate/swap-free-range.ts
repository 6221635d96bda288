import type { ByteRange } from "./interval-math.js";

/**
 * virt-sparsify reads the first 4 KiB of a SWAPSPACE2 partition (label, UUID, version),
 * discards the whole partition and writes those 4 KiB back: everything after them is freed.
 */
export const SWAP_HEADER_BYTES = 4096;

/** The range a swap partition at `[start, start + length)` gives back. Pure. */
export const swapFreeRange = (start: number, length: number): ByteRange[] =>
  length > SWAP_HEADER_BYTES ? [{ start: start + SWAP_HEADER_BYTES, end: start + length }] : [];
