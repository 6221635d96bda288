/** The ext2/3/4 superblock lives 1024 bytes into the filesystem, whatever the block size. */
export const EXT_SUPERBLOCK_OFFSET = 1024;
export const EXT_SUPERBLOCK_BYTES = 1024;
export const EXT_MAGIC = 0xef53;

/** The superblock fields DIRECT's checks and its bitmap reader use. */
export interface ExtSuperblock {
  magic: number;
  blockSize: number;
  /** log2(cluster size / block size): 0 unless bigalloc. */
  clusterLog: number;
  blocksCount: number;
  firstDataBlock: number;
  blocksPerGroup: number;
  clustersPerGroup: number;
  inodesPerGroup: number;
  inodeSize: number;
  state: number;
  revLevel: number;
  compat: number;
  incompat: number;
  roCompat: number;
  reservedGdtBlocks: number;
  lastOrphan: number;
  /** 32, or s_desc_size with the 64bit feature. */
  descSize: number;
  uuid: Buffer;
}

const INCOMPAT_64BIT = 0x80;

/**
 * Reads the superblock fields from its 1024 bytes (little-endian). Untrusted bytes: only read and
 * range-checked here, never followed; {@link extSuperblockProblem} says whether they make sense. Pure.
 */
export function parseExtSuperblock(sb: Buffer): ExtSuperblock {
  if (sb.length < EXT_SUPERBLOCK_BYTES) throw new RangeError(`ext superblock is ${sb.length} bytes, not ${EXT_SUPERBLOCK_BYTES}`);
  const incompat = sb.readUInt32LE(0x60);
  const is64 = (incompat & INCOMPAT_64BIT) !== 0;
  const logBlock = sb.readUInt32LE(0x18);
  return {
    magic: sb.readUInt16LE(0x38),
    blockSize: logBlock <= 6 ? 1024 << logBlock : 0,
    clusterLog: sb.readUInt32LE(0x1c) - logBlock,
    // The high half only counts with 64bit (it is padding otherwise); 2^53 blocks is far beyond any disk.
    blocksCount: sb.readUInt32LE(0x04) + (is64 ? sb.readUInt32LE(0x150) * 2 ** 32 : 0),
    firstDataBlock: sb.readUInt32LE(0x14),
    blocksPerGroup: sb.readUInt32LE(0x20),
    clustersPerGroup: sb.readUInt32LE(0x24),
    inodesPerGroup: sb.readUInt32LE(0x28),
    inodeSize: sb.readUInt32LE(0x4c) === 0 ? 128 : sb.readUInt16LE(0x58),
    state: sb.readUInt16LE(0x3a),
    revLevel: sb.readUInt32LE(0x4c),
    compat: sb.readUInt32LE(0x5c),
    incompat,
    roCompat: sb.readUInt32LE(0x64),
    reservedGdtBlocks: sb.readUInt16LE(0xce),
    lastOrphan: sb.readUInt32LE(0xe8),
    descSize: is64 ? sb.readUInt16LE(0xfe) : 32,
    uuid: Buffer.from(sb.subarray(0x68, 0x78)),
  };
}

/**
 * Why these superblock values cannot describe a filesystem of `partitionLength` bytes that the
 * bitmap reader can walk safely, or null. Pure.
 */
export function extSuperblockProblem(sb: ExtSuperblock, partitionLength: number): string | null {
  if (sb.magic !== EXT_MAGIC) return `magic 0x${sb.magic.toString(16)} is not 0xef53`;
  if (sb.blockSize === 0) return "block size is not 1 KiB..64 KiB";
  if (sb.blocksCount === 0 || sb.blocksCount * sb.blockSize > partitionLength) {
    return `${sb.blocksCount} blocks of ${sb.blockSize} bytes do not fit the partition's ${partitionLength} bytes`;
  }
  if (sb.firstDataBlock !== (sb.blockSize === 1024 ? 1 : 0)) {
    return `first data block ${sb.firstDataBlock} with ${sb.blockSize}-byte blocks`;
  }
  if (sb.clusterLog !== 0) return `cluster size differs from block size (bigalloc)`;
  // A bitmap is one block: a group cannot hold more blocks than it has bits.
  if (sb.blocksPerGroup === 0 || sb.blocksPerGroup > sb.blockSize * 8 || sb.blocksPerGroup % 8 !== 0) {
    return `${sb.blocksPerGroup} blocks per group`;
  }
  if (sb.inodesPerGroup === 0 || sb.inodesPerGroup > sb.blockSize * 8) return `${sb.inodesPerGroup} inodes per group`;
  if (sb.inodeSize < 128 || sb.inodeSize > sb.blockSize || (sb.inodeSize & (sb.inodeSize - 1)) !== 0)
    return `inode size ${sb.inodeSize}`;
  if (sb.descSize < 32 || sb.descSize > 1024 || (sb.descSize & (sb.descSize - 1)) !== 0)
    return `group descriptor size ${sb.descSize}`;
  return null;
}
