import type { FsSignature } from "./fs-detect.js";

/**
 * How an estimate was made, for people: the estimable types found, then the method, e.g.
 * `ext4+swap: free blocks ∩ qemu-img map`, `… (leaf of 3 layers)`, `… (skipped: LVM2_member)`. Pure.
 */
export function methodLabel(parts: readonly FsSignature[], layers: number): string {
  const unique = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => x !== null))];
  const used = unique(parts.filter((p) => p.estimable).map((p) => p.type));
  const skipped = unique(parts.filter((p) => !p.estimable).map((p) => p.type));
  return (
    `${used.join("+")}: free blocks ∩ qemu-img map` +
    (layers > 1 ? ` (leaf of ${layers} layers)` : "") +
    (skipped.length ? ` (skipped: ${skipped.join(", ")})` : "")
  );
}
