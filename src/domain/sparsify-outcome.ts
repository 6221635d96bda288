import { SparsifyOutcome } from "../entities/sparsify-outcome.js";

// Stored in sparsify_job.outcome, so the enum lives with the entities; re-exported with its rule.
export { SparsifyOutcome };

export interface OutcomeFacts {
  trimmedDevices: string[];
  swapCleared: string[];
  actualSizeBefore: number;
  actualSizeAfter: number;
  ownVolumeCount: number;
}

/** Below this, a change is allocation noise (metadata, journal), not reclaimed space. */
export const NOISE_BYTES = 1024 * 1024;

const mib = (n: number) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`);

/**
 * Explains a successful run. virt-sparsify exits 0 even when it found nothing to trim, so the
 * verdict comes from what it printed and from the sizes before and after.
 */
export function explainOutcome(f: OutcomeFacts): { outcome: SparsifyOutcome; message: string } {
  const reclaimed = f.actualSizeBefore - f.actualSizeAfter;
  if (f.trimmedDevices.length === 0 && f.swapCleared.length === 0) {
    return {
      outcome: SparsifyOutcome.NO_FILESYSTEM_FOUND,
      message:
        "virt-sparsify found no filesystem or swap it can trim (unknown or encrypted filesystem, empty " +
        "or unformatted disk); nothing was changed",
    };
  }
  const what = [...f.trimmedDevices.map((d) => `trimmed ${d}`), ...f.swapCleared.map((d) => `cleared swap ${d}`)].join(", ");
  if (reclaimed >= NOISE_BYTES) return { outcome: SparsifyOutcome.RECLAIMED, message: `Reclaimed ${mib(reclaimed)} (${what})` };
  if (reclaimed < 0 && f.ownVolumeCount > 1) {
    return {
      outcome: SparsifyOutcome.GREW,
      message:
        `The active layer grew by ${mib(-reclaimed)}: space freed in older snapshots cannot be returned ` +
        "without exposing them, so qemu recorded it as zero clusters in the active layer. Merge the " +
        `snapshots, then sparsify again (${what})`,
    };
  }
  if (reclaimed <= -NOISE_BYTES)
    return { outcome: SparsifyOutcome.GREW, message: `The image grew by ${mib(-reclaimed)} (${what})` };
  return {
    outcome: SparsifyOutcome.NOTHING_TO_RECLAIM,
    message: `The filesystems were trimmed but no space came back: the free space was already unallocated (${what})`,
  };
}
