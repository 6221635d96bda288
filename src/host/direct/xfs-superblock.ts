import { DirectFallbackReason } from "../../domain/direct-method.js";
import { DirectRefusal } from "./direct-contract.js";

/** The XFS superblock fields DIRECT checks and walks with (big-endian on disk). */
export interface XfsSuperblock {
  magic: number;
  blockSize: number;
  dBlocks: number;
  rBlocks: number;
  /** The internal log's first block, encoded as AG number << agBlkLog | block in the AG. */
  logStart: number;
  logBlocks: number;
  agBlkLog: number;
  agBlocks: number;
  agCount: number;
  versionNum: number;
  sectSize: number;
  inProgress: number;
  featuresCompat: number;
  featuresRoCompat: number;
  featuresIncompat: number;
  featuresLogIncompat: number;
  uuid: Buffer;
}

export const XFS_MAGIC = 0x58465342; // "XFSB"
export const XFS_SUPERBLOCK_BYTES = 512;

/** Feature bits DIRECT was tested with (mkfs.xfs defaults, with and without reflink and rmapbt). */
export const XFS_ALLOWED_FEATURES = {
  compat: 0,
  // finobt, rmapbt, reflink, inobtcount
  roCompat: 0x1 | 0x2 | 0x4 | 0x8,
  // ftype, sparse inodes, meta_uuid, bigtime
  incompat: 0x1 | 0x2 | 0x4 | 0x8,
} as const;
const INCOMPAT_NEEDSREPAIR = 0x10;

const u64 = (b: Buffer, offset: number) => Number(b.readBigUInt64BE(offset));

/** Reads the superblock fields (sector 0 of the filesystem). Untrusted: checked by {@link checkXfsSuperblock}. Pure. */
export function parseXfsSuperblock(sb: Buffer): XfsSuperblock {
  if (sb.length < XFS_SUPERBLOCK_BYTES) throw new RangeError(`XFS superblock is ${sb.length} bytes`);
  return {
    magic: sb.readUInt32BE(0),
    blockSize: sb.readUInt32BE(4),
    dBlocks: u64(sb, 8),
    rBlocks: u64(sb, 16),
    logStart: u64(sb, 48),
    logBlocks: sb.readUInt32BE(96),
    agBlkLog: sb.readUInt8(124),
    agBlocks: sb.readUInt32BE(84),
    agCount: sb.readUInt32BE(88),
    versionNum: sb.readUInt16BE(100),
    sectSize: sb.readUInt16BE(102),
    inProgress: sb.readUInt8(126),
    featuresCompat: sb.readUInt32BE(208),
    featuresRoCompat: sb.readUInt32BE(212),
    featuresIncompat: sb.readUInt32BE(216),
    featuresLogIncompat: sb.readUInt32BE(220),
    uuid: Buffer.from(sb.subarray(32, 48)),
  };
}

const pow2 = (n: number, min: number, max: number) => n >= min && n <= max && (n & (n - 1)) === 0;
const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * Refuses an XFS superblock DIRECT cannot prove free space in: not v5, features outside
 * {@link XFS_ALLOWED_FEATURES}, an external log or realtime section, a repair or mkfs left
 * unfinished, log features a replay would need, or a geometry that does not fit the partition. Pure.
 * @throws {DirectRefusal} XFS_UNSUPPORTED_FEATURE, XFS_LOG_DIRTY, SUPERBLOCK_MISMATCH.
 */
export function checkXfsSuperblock(sb: XfsSuperblock, partitionLength: number): void {
  const mismatch = (why: string) => new DirectRefusal(DirectFallbackReason.SUPERBLOCK_MISMATCH, `XFS superblock: ${why}`);
  const unsupported = (why: string) => new DirectRefusal(DirectFallbackReason.XFS_UNSUPPORTED_FEATURE, `XFS filesystem ${why}`);
  if (sb.magic !== XFS_MAGIC) throw mismatch(`magic ${hex(sb.magic)} is not XFSB`);
  if (!pow2(sb.blockSize, 512, 65536) || !pow2(sb.sectSize, 512, 32768) || sb.sectSize > sb.blockSize) {
    throw mismatch(`block size ${sb.blockSize}, sector size ${sb.sectSize}`);
  }
  if ((sb.versionNum & 0xf) !== 5) throw unsupported(`is version ${sb.versionNum & 0xf}, not 5`);
  if (sb.featuresLogIncompat !== 0) {
    throw new DirectRefusal(
      DirectFallbackReason.XFS_LOG_DIRTY,
      `XFS log has incompatible features ${hex(sb.featuresLogIncompat)} set (items to replay)`,
    );
  }
  if (sb.featuresIncompat & INCOMPAT_NEEDSREPAIR) throw unsupported("is marked as needing xfs_repair");
  const extra = [
    ["compat", sb.featuresCompat & ~XFS_ALLOWED_FEATURES.compat],
    ["ro_compat", sb.featuresRoCompat & ~XFS_ALLOWED_FEATURES.roCompat],
    ["incompat", sb.featuresIncompat & ~XFS_ALLOWED_FEATURES.incompat],
  ].filter(([, bits]) => bits) as Array<[string, number]>;
  if (extra.length) throw unsupported(`uses untested features: ${extra.map(([set, bits]) => `${set} ${hex(bits)}`).join(", ")}`);
  if (sb.logStart === 0) throw unsupported("has an external log");
  if (sb.rBlocks !== 0) throw unsupported("has a realtime section");
  if (sb.inProgress !== 0) throw unsupported("was never finished by mkfs");
  if (
    sb.agCount === 0 ||
    sb.agBlocks < 16 ||
    sb.dBlocks > sb.agCount * sb.agBlocks ||
    sb.dBlocks <= (sb.agCount - 1) * sb.agBlocks
  ) {
    throw mismatch(`${sb.dBlocks} blocks do not make ${sb.agCount} groups of ${sb.agBlocks}`);
  }
  if (sb.agBlkLog > 31 || 2 ** sb.agBlkLog < sb.agBlocks || 2 ** (sb.agBlkLog - 1) >= sb.agBlocks) {
    throw mismatch(`agblklog ${sb.agBlkLog} for ${sb.agBlocks} blocks per AG`);
  }
  const log = xfsLogBlock(sb);
  if (sb.logBlocks === 0 || log + sb.logBlocks > sb.dBlocks) {
    throw mismatch(`a log of ${sb.logBlocks} blocks at block ${log} is outside the filesystem`);
  }
  if (sb.dBlocks * sb.blockSize > partitionLength) {
    throw mismatch(`${sb.dBlocks} blocks of ${sb.blockSize} bytes do not fit the partition's ${partitionLength} bytes`);
  }
}

/** The internal log's first block as a linear block number of the filesystem. Pure. */
export const xfsLogBlock = (sb: XfsSuperblock): number =>
  Math.floor(sb.logStart / 2 ** sb.agBlkLog) * sb.agBlocks + (sb.logStart % 2 ** sb.agBlkLog);
