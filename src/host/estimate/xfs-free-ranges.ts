import { clip, type ByteRange } from "./interval-math.js";

/** What `xfs_db -r -c 'sb 0' -c 'p blocksize agblocks agcount dblocks' -c 'freesp -d'` says. */
export interface XfsFreeExtents {
  blockSize: number;
  agBlocks: number;
  agCount: number;
  dBlocks: number;
  /** Free extents as listed from the free-space btrees: [ag number, block in the AG, length]. */
  extents: Array<[agno: number, agbno: number, length: number]>;
}

/** The xfs_db commands whose output {@link parseXfsFreeExtents} reads. */
export const XFS_DB_COMMANDS = ["-c", "sb 0", "-c", "p blocksize agblocks agcount dblocks", "-c", "freesp -d"];

const field = (text: string, name: string): number => {
  const value = Number(new RegExp(`^${name} = (\\d+)\\s*$`, "m").exec(text)?.[1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`xfs_db output has no valid "${name}"`);
  return value;
};

/**
 * Parses the superblock fields and the `freesp -d` extent list (three numbers a line; the
 * histogram after it has five). Untrusted guest metadata: XFS block sizes are powers of two in
 * 512 B..64 KiB, and extents outside an AG are dropped. Pure.
 */
export function parseXfsFreeExtents(xfsDb: string): XfsFreeExtents {
  const blockSize = field(xfsDb, "blocksize");
  if (blockSize < 512 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0)
    throw new Error(`xfs_db reports block size ${blockSize}`);
  const agBlocks = field(xfsDb, "agblocks");
  const agCount = field(xfsDb, "agcount");
  const dBlocks = field(xfsDb, "dblocks");
  const extents: Array<[number, number, number]> = [];
  for (const m of xfsDb.matchAll(/^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/gm)) {
    const [agno, agbno, length] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (agno < agCount && length > 0 && agbno + length <= agBlocks) extents.push([agno, agbno, length]);
  }
  return { blockSize, agBlocks, agCount, dBlocks, extents };
}

/**
 * Free extents as disk byte ranges, one per extent (fstrim discards them one by one), for a
 * filesystem at `fsStart`, cut to its partition and to the filesystem's own size. Pure.
 */
export function xfsFreeByteRanges(free: XfsFreeExtents, fsStart: number, fsEnd: number): ByteRange[] {
  const ranges = free.extents.map(([agno, agbno, length]) => {
    const block = agno * free.agBlocks + agbno;
    return { start: fsStart + block * free.blockSize, end: fsStart + (block + length) * free.blockSize };
  });
  return clip(ranges, fsStart, Math.min(fsEnd, fsStart + free.dBlocks * free.blockSize));
}
