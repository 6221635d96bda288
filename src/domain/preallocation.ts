import { AllocationSource, DiskAllocation, DiskFormat } from "../entities/enums.js";

export interface AllocationFacts {
  format: DiskFormat;
  virtualSize: number;
  actualSize: number;
  /** qcow2 only, from `qemu-img check`; undefined when not read. */
  allocatedClusters?: number;
  totalClusters?: number;
}

export interface AllocationVerdict {
  allocation: DiskAllocation;
  source: AllocationSource;
}

/** Share of the virtual size above which a written image cannot be told from a preallocated one. */
export const FULLY_WRITTEN_RATIO = 0.99;

/**
 * qcow2 `preallocation=metadata` is visible: every cluster allocated while little is written
 * (DETECTED). A fully written thin image looks exactly like a preallocated one, so that case is
 * only INFERRED and an admin can correct it.
 */
export function classifyAllocation(f: AllocationFacts): AllocationVerdict {
  const nearlyFull = f.virtualSize > 0 && f.actualSize >= FULLY_WRITTEN_RATIO * f.virtualSize;
  if (f.format === DiskFormat.QCOW2) {
    const everyCluster = (f.totalClusters ?? 0) > 0 && f.allocatedClusters === f.totalClusters;
    if (everyCluster && !nearlyFull) return { allocation: DiskAllocation.PREALLOCATED, source: AllocationSource.DETECTED };
    if (everyCluster && nearlyFull) return { allocation: DiskAllocation.PREALLOCATED, source: AllocationSource.INFERRED };
    return { allocation: DiskAllocation.SPARSE, source: AllocationSource.DETECTED };
  }
  if (nearlyFull) return { allocation: DiskAllocation.PREALLOCATED, source: AllocationSource.INFERRED };
  return { allocation: DiskAllocation.SPARSE, source: AllocationSource.DETECTED };
}
