/** A block of an XFS short-form (per-AG) B+tree, v5 header. */
export interface XfsBtreeBlock {
  level: number;
  /** Leaf: [startblock, blockcount] records. */
  records: Array<[agbno: number, length: number]>;
  /** Node: child block numbers in the AG, in key order. */
  pointers: number[];
  leftSibling: number;
  rightSibling: number;
}

/** "AB3B": a by-block free-space btree block of a v5 (CRC) filesystem. */
export const XFS_BNOBT_MAGIC = 0x41423342;
/** magic, level, numrecs, siblings, blkno, lsn, uuid, owner, crc. */
const HEADER = 56;
const NULL_AGBLOCK = 0xffffffff;

/** Where the block claims to be, to compare with where it was read. */
export interface XfsBlockIdentity {
  /** Disk address in 512-byte units from the filesystem's start. */
  daddr: number;
  agno: number;
}

/**
 * Parses one by-block free-space btree block, refusing anything that is not exactly where and
 * what the walk expects: magic, level, record count within the block, its own disk address and
 * owner (the AG number). Pure.
 * @throws {Error} with the reason.
 */
export function parseBnobtBlock(block: Buffer, expect: XfsBlockIdentity & { level: number }): XfsBtreeBlock {
  const magic = block.readUInt32BE(0);
  if (magic !== XFS_BNOBT_MAGIC) throw new Error(`magic 0x${magic.toString(16)} is not AB3B`);
  const level = block.readUInt16BE(4);
  const numrecs = block.readUInt16BE(6);
  if (level !== expect.level) throw new Error(`level ${level}, expected ${expect.level}`);
  const daddr = Number(block.readBigUInt64BE(16));
  if (daddr !== expect.daddr) throw new Error(`says it is at daddr ${daddr}, read at ${expect.daddr}`);
  const owner = block.readUInt32BE(48);
  if (owner !== expect.agno) throw new Error(`owned by AG ${owner}, found in AG ${expect.agno}`);
  const leftSibling = block.readUInt32BE(8);
  const rightSibling = block.readUInt32BE(12);
  const out: XfsBtreeBlock = { level, records: [], pointers: [], leftSibling, rightSibling };
  if (level === 0) {
    if (numrecs > (block.length - HEADER) / 8) throw new Error(`${numrecs} records do not fit a leaf`);
    for (let i = 0; i < numrecs; i++)
      out.records.push([block.readUInt32BE(HEADER + i * 8), block.readUInt32BE(HEADER + i * 8 + 4)]);
  } else {
    const maxRecs = Math.floor((block.length - HEADER) / 12);
    if (numrecs === 0 || numrecs > maxRecs) throw new Error(`${numrecs} keys in a node of at most ${maxRecs}`);
    for (let i = 0; i < numrecs; i++) out.pointers.push(block.readUInt32BE(HEADER + maxRecs * 8 + i * 4));
  }
  return out;
}

export const isNullBlock = (agbno: number) => agbno === NULL_AGBLOCK;
