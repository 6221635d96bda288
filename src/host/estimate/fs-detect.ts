/** What a part of the disk holds, as far as the estimator cares. */
export type PartKind = "ext" | "swap" | "xfs" | "unknown" | "lvm" | "luks";

/** The signature found at the start of a partition (or a whole disk). */
export interface FsSignature {
  kind: PartKind;
  /** blkid-style type: "ext4", "swap", "xfs", "btrfs", "LVM2_member", "crypto_LUKS"…; null when nothing is recognised. */
  type: string | null;
  /** virt-sparsify frees space on it (fstrim after mounting, or clearing swap) and the estimator can price that. */
  estimable: boolean;
}

/** Enough to see every signature below: btrfs keeps its superblock at 64 KiB. */
export const PROBE_BYTES = 68 * 1024;

const NOTHING: FsSignature = { kind: "unknown", type: null, estimable: false };

const at = (head: Buffer, offset: number, magic: string | Buffer): boolean => {
  const bytes = typeof magic === "string" ? Buffer.from(magic, "latin1") : magic;
  return head.length >= offset + bytes.length && head.subarray(offset, offset + bytes.length).equals(bytes);
};

/** Recognised so the reason can be UNSUPPORTED_FILESYSTEM rather than NO_FILESYSTEM; never estimated. */
const OTHER_FILESYSTEMS: ReadonlyArray<readonly [offset: number, magic: string, type: string]> = [
  [65536 + 64, "_BHRfS_M", "btrfs"],
  [3, "NTFS    ", "ntfs"],
  [3, "EXFAT   ", "exfat"],
  [3, "-FVE-FS-", "BitLocker"],
  [82, "FAT32   ", "vfat"],
  [54, "FAT16   ", "vfat"],
  [54, "FAT12   ", "vfat"],
  [1024, "\x10\x20\xf5\xf2", "f2fs"],
  [32769, "CD001", "iso9660"],
  [32768, "JFS1", "jfs"],
  [65536 + 52, "ReIsEr", "reiserfs"],
  [0, "hsqs", "squashfs"],
];

/** Signatures at page size − 10 (4 KiB pages, as virt-sparsify assumes). Only SWAPSPACE2 is cleared. */
const SWAP_SIGNATURES: ReadonlyArray<readonly [magic: string, type: string, estimable: boolean]> = [
  ["SWAPSPACE2", "swap", true],
  // Version 0 swap, and hibernation images (the signature moves there): virt-sparsify leaves them alone.
  ["SWAP-SPACE", "swap", false],
  ["S1SUSPEND", "swsuspend", false],
  ["S2SUSPEND", "swsuspend", false],
  ["ULSUSPEND", "swsuspend", false],
  ["LINHIB0001", "swsuspend", false],
];

const SB = 1024; // ext superblock offset
const EXT3_INCOMPAT_SUPPORTED = 0x0002 | 0x0004 | 0x0010; // filetype, recover, meta_bg
const EXT3_RO_COMPAT_SUPPORTED = 0x0001 | 0x0002 | 0x0004; // sparse_super, large_file, btree_dir
const EXT_INCOMPAT_JOURNAL_DEV = 0x0008;
const EXT_COMPAT_HAS_JOURNAL = 0x0004;

/** ext2/3/4 by magic 0xEF53 at 1080 plus a sane superblock, named the way blkid names them. */
function detectExt(head: Buffer): FsSignature | null {
  if (head.length < SB + 0x68 || head.readUInt16LE(SB + 0x38) !== 0xef53) return null;
  const inodes = head.readUInt32LE(SB);
  const blocks = head.readUInt32LE(SB + 4);
  const logBlockSize = head.readUInt32LE(SB + 24);
  if (blocks === 0 || logBlockSize > 6) return null;
  const compat = head.readUInt32LE(SB + 0x5c);
  const incompat = head.readUInt32LE(SB + 0x60);
  const roCompat = head.readUInt32LE(SB + 0x64);
  // An external journal has the ext magic (and no inodes) but cannot be mounted: nothing to trim.
  if (incompat & EXT_INCOMPAT_JOURNAL_DEV) return { kind: "unknown", type: "jbd", estimable: false };
  if (inodes === 0) return null;
  const type =
    incompat & ~EXT3_INCOMPAT_SUPPORTED || roCompat & ~EXT3_RO_COMPAT_SUPPORTED
      ? "ext4"
      : compat & EXT_COMPAT_HAS_JOURNAL
        ? "ext3"
        : "ext2";
  return { kind: "ext", type, estimable: true };
}

/** LVM2 physical volume label: "LABELONE" in one of the first four sectors, "LVM2 001" 24 bytes on. */
const isLvm = (head: Buffer) => [0, 1, 2, 3].some((s) => at(head, s * 512, "LABELONE") && at(head, s * 512 + 24, "LVM2 001"));

/**
 * Identifies the content of a partition from its first {@link PROBE_BYTES} bytes (fewer if
 * the partition is smaller). Containers come first (their payload may hold anything), then
 * mountable filesystems, then swap: virt-sparsify also tries to mount before it looks for swap.
 * Pure: the bytes are untrusted guest data, only compared, never followed.
 */
export function detectFilesystem(head: Buffer): FsSignature {
  if (at(head, 0, Buffer.from("LUKS\xba\xbe", "latin1"))) return { kind: "luks", type: "crypto_LUKS", estimable: false };
  if (isLvm(head)) return { kind: "lvm", type: "LVM2_member", estimable: false };
  const ext = detectExt(head);
  if (ext) return ext;
  if (at(head, 0, "XFSB")) return { kind: "xfs", type: "xfs", estimable: true };
  for (const [offset, magic, type] of OTHER_FILESYSTEMS) {
    if (at(head, offset, magic)) return { kind: "unknown", type, estimable: false };
  }
  for (const [magic, type, estimable] of SWAP_SIGNATURES) {
    if (at(head, 4086, magic)) return { kind: "swap", type, estimable };
  }
  return NOTHING;
}
