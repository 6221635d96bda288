/**
 * The appliance-free (DIRECT) sparsify method: how a domain sparsifies, and why a DIRECT job ran
 * virt-sparsify instead. These are API enums (registered in src/schema); clients switch on them.
 */
export enum SparsifyMethod {
  VIRT_SPARSIFY = "VIRT_SPARSIFY",
  DIRECT = "DIRECT",
}

/** Why a job asked to run DIRECT ran virt-sparsify instead. Always decided before any discard. */
export enum DirectFallbackReason {
  /** No partition holds a filesystem DIRECT understands (ext2/3/4, XFS, swap). */
  NO_DIRECT_FILESYSTEM = "NO_DIRECT_FILESYSTEM",
  /** An ext filesystem is not clean: state not clean, needs_recovery, or an orphan list. */
  EXT_NOT_CLEAN = "EXT_NOT_CLEAN",
  /** An ext filesystem uses a feature outside the tested set. */
  EXT_UNSUPPORTED_FEATURE = "EXT_UNSUPPORTED_FEATURE",
  /** An XFS log is not clean. */
  XFS_LOG_DIRTY = "XFS_LOG_DIRTY",
  /** An XFS feature outside the tested set. */
  XFS_UNSUPPORTED_FEATURE = "XFS_UNSUPPORTED_FEATURE",
  /** A swap area that is not a plain SWAPSPACE2 (a hibernation image, say). */
  SWAP_NOT_PLAIN = "SWAP_NOT_PLAIN",
  /** The superblock re-read through the discard offsets disagrees (magic, block size, count). */
  SUPERBLOCK_MISMATCH = "SUPERBLOCK_MISMATCH",
  /** The two independent free-space readers could not both be read or are inconsistent. */
  FREE_SPACE_READERS_DISAGREE = "FREE_SPACE_READERS_DISAGREE",
  /** The image is attached to a loop device. */
  LOOP_DEVICE_ATTACHED = "LOOP_DEVICE_ATTACHED",
  /** The image is on NFS older than 4.2 (no hole punching to the server). */
  NFS_WITHOUT_DISCARD = "NFS_WITHOUT_DISCARD",
  /** A tool DIRECT needs failed or is missing; the detail says which. */
  DIRECT_TOOL_FAILED = "DIRECT_TOOL_FAILED",
}
