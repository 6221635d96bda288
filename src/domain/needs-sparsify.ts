/** When a disk is worth sparsifying: enough bytes back, and enough of what it occupies. */
export interface ReclaimPolicy {
  minReclaimableBytes: number;
  /** Share of the disk's actual size, 0–1. */
  minReclaimableRatio: number;
}

export interface ReclaimFacts {
  reclaimableEstimate: number | null;
  actualSize: number;
}

/** Domain values win; each missing one falls back to the global default. */
export function effectivePolicy(
  domain: { minReclaimableBytes: number | null; minReclaimableRatio: number | null },
  global: ReclaimPolicy,
): ReclaimPolicy {
  return {
    minReclaimableBytes: domain.minReclaimableBytes ?? global.minReclaimableBytes,
    minReclaimableRatio: domain.minReclaimableRatio ?? global.minReclaimableRatio,
  };
}

/** No estimate means we do not know: never "needs". */
export function needsSparsify(f: ReclaimFacts, p: ReclaimPolicy): boolean {
  if (f.reclaimableEstimate === null || f.reclaimableEstimate <= 0) return false;
  if (f.reclaimableEstimate < p.minReclaimableBytes) return false;
  const ratio = f.actualSize > 0 ? f.reclaimableEstimate / f.actualSize : 0;
  return ratio >= p.minReclaimableRatio;
}
