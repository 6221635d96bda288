import { DirectFallbackReason } from "../../domain/direct-method.js";
import { intersect, normalize, totalBytes, type ByteRange } from "../estimate/interval-math.js";
import { DirectRefusal } from "./direct-contract.js";

/**
 * How many bytes two readers may disagree on. Zero: both read the same unmounted, clean
 * metadata, so any difference means one of them (or the filesystem) is not what we think.
 */
export const READERS_TOLERANCE_BYTES = 0;

/** Bytes one of `a`, `b` (normalized) calls free and the other does not. Pure. */
export const disagreementBytes = (a: readonly ByteRange[], b: readonly ByteRange[]): number =>
  totalBytes(a) + totalBytes(b) - 2 * totalBytes(intersect(a, b));

/**
 * The free space both readers agree on, after checking they agree within `toleranceBytes`. Pure.
 * @throws {DirectRefusal} FREE_SPACE_READERS_DISAGREE.
 */
export function agreedFree(
  what: string,
  a: readonly ByteRange[],
  b: readonly ByteRange[],
  toleranceBytes = READERS_TOLERANCE_BYTES,
): ByteRange[] {
  const [na, nb] = [normalize(a), normalize(b)];
  const differ = disagreementBytes(na, nb);
  if (differ > toleranceBytes) {
    throw new DirectRefusal(
      DirectFallbackReason.FREE_SPACE_READERS_DISAGREE,
      `${what}: the two free-space readers disagree on ${differ} bytes (${totalBytes(na)} vs ${totalBytes(nb)} free)`,
    );
  }
  return intersect(na, nb);
}
