import { totalBytes, type ByteRange } from "./interval-math.js";

/** Which bytes of one image file take space on the host. */
export interface HostAllocation {
  /** Extents lseek(SEEK_DATA) reports: written data. */
  data: ByteRange[];
  /**
   * Share (0..1) of the remaining "holes" that are allocated anyway. fallocate'd extents
   * never written (qcow2 `preallocation=falloc`, `fallocate -l`) read as holes to SEEK_DATA and
   * so to `qemu-img map`, yet count in st_blocks and are freed by a discard. Where they are is
   * not known, so they are spread evenly over the holes: exact for a fully preallocated file,
   * 0 for an ordinary sparse one.
   */
  hiddenShare: number;
}

/** st_blocks also counts the host filesystem's own extent tree: ignore that much. */
const METADATA_SLACK = 1024 * 1024;

/** Pure. `allocatedBytes` is st_blocks × 512 (qemu-img's actual-size). */
export function hostAllocation(input: { data: ByteRange[]; fileSize: number; allocatedBytes: number }): HostAllocation {
  const dataBytes = totalBytes(input.data);
  const hidden = input.allocatedBytes - dataBytes;
  const holes = input.fileSize - dataBytes;
  const hiddenShare = hidden <= METADATA_SLACK || holes <= 0 ? 0 : Math.min(1, hidden / holes);
  return { data: input.data, hiddenShare };
}
