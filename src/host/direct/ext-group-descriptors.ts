import type { ExtSuperblock } from "./ext-superblock.js";

/** One block group's descriptor: where its bitmaps and inode table are, and its flags. */
export interface ExtGroupDescriptor {
  blockBitmap: number;
  inodeBitmap: number;
  inodeTable: number;
  freeBlocks: number;
  flags: number;
}

/** bg_flags: the block bitmap was never written; the group's free space follows from its layout. */
export const BG_BLOCK_UNINIT = 0x0002;
const RO_COMPAT_GDT_CSUM = 0x0010;
const RO_COMPAT_METADATA_CSUM = 0x0400;
const RO_COMPAT_SPARSE_SUPER = 0x0001;

export const groupCount = (sb: ExtSuperblock) => Math.ceil((sb.blocksCount - sb.firstDataBlock) / sb.blocksPerGroup);

/** Blocks the descriptor table takes (without the reserved GDT blocks that follow it). */
export const gdtBlocks = (sb: ExtSuperblock) => Math.ceil((groupCount(sb) * sb.descSize) / sb.blockSize);

/** The group's first block and how many blocks it has (the last group is often short). */
export function groupSpan(sb: ExtSuperblock, group: number): { first: number; count: number } {
  const first = sb.firstDataBlock + group * sb.blocksPerGroup;
  return { first, count: Math.min(sb.blocksPerGroup, sb.blocksCount - first) };
}

/** BLOCK_UNINIT only means something when descriptors are checksummed (as the kernel reads it). */
export const honoursUninit = (sb: ExtSuperblock) => (sb.roCompat & (RO_COMPAT_GDT_CSUM | RO_COMPAT_METADATA_CSUM)) !== 0;

const isPowerOf = (n: number, base: number) => {
  let x = base;
  while (x < n) x *= base;
  return x === n;
};

/** Whether the group starts with a superblock backup and the descriptor table (sparse_super: 0, 1, 3^n, 5^n, 7^n). */
export function hasSuperblockBackup(sb: ExtSuperblock, group: number): boolean {
  if (group <= 1 || !(sb.roCompat & RO_COMPAT_SPARSE_SUPER)) return true;
  return isPowerOf(group, 3) || isPowerOf(group, 5) || isPowerOf(group, 7);
}

/**
 * Parses the group descriptor table (64-byte descriptors with 64bit, their high halves included).
 * `table` is the table's bytes, read from the block after the superblock's. Pure.
 */
export function parseGroupDescriptors(sb: ExtSuperblock, table: Buffer): ExtGroupDescriptor[] {
  const count = groupCount(sb);
  if (table.length < count * sb.descSize) {
    throw new RangeError(`group descriptor table is ${table.length} bytes, ${count} groups need ${count * sb.descSize}`);
  }
  const wide = sb.descSize >= 64;
  const out: ExtGroupDescriptor[] = [];
  for (let g = 0; g < count; g++) {
    const d = table.subarray(g * sb.descSize, (g + 1) * sb.descSize);
    const hi = (offset: number) => (wide ? d.readUInt32LE(offset) * 2 ** 32 : 0);
    out.push({
      blockBitmap: d.readUInt32LE(0x00) + hi(0x20),
      inodeBitmap: d.readUInt32LE(0x04) + hi(0x24),
      inodeTable: d.readUInt32LE(0x08) + hi(0x28),
      freeBlocks: d.readUInt16LE(0x0c) + (wide ? d.readUInt16LE(0x2c) * 0x10000 : 0),
      flags: d.readUInt16LE(0x12),
    });
  }
  return out;
}
