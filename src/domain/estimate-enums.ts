/** How a reclaimable-space estimate was made. */
export enum EstimateMethod {
  /**
   * Blocks the guest filesystems (ext2/3/4, XFS) and swap report free, intersected with the
   * host allocation of the leaf (`qemu-img map`); read-only, no appliance.
   */
  FREE_BLOCKS = "FREE_BLOCKS",
}

/** Why a disk has no reclaimable-space estimate. Stored as text and sent to clients. */
export enum EstimateUnavailableReason {
  NO_FILESYSTEM = "NO_FILESYSTEM",
  UNSUPPORTED_FILESYSTEM = "UNSUPPORTED_FILESYSTEM",
  LVM = "LVM",
  ENCRYPTED = "ENCRYPTED",
  IMAGE_IN_USE = "IMAGE_IN_USE",
  UNREADABLE = "UNREADABLE",
  TIMED_OUT = "TIMED_OUT",
}
