/** The AGF fields the free-space walk needs (sector 1 of each allocation group). */
export interface XfsAgf {
  seqno: number;
  length: number;
  bnoRoot: number;
  bnoLevel: number;
  flFirst: number;
  flLast: number;
  flCount: number;
  freeBlocks: number;
  longest: number;
}

export const XFS_AGF_MAGIC = 0x58414746; // "XAGF"
const XFS_AGFL_MAGIC = 0x5841464c; // "XAFL"
/** magic, seqno, uuid, lsn, crc. */
const AGFL_HEADER = 36;

/** Parses an AGF sector; refuses a wrong magic or sequence number. Pure. */
export function parseAgf(sector: Buffer, agno: number): XfsAgf {
  const magic = sector.readUInt32BE(0);
  if (magic !== XFS_AGF_MAGIC) throw new Error(`AG ${agno}: AGF magic 0x${magic.toString(16)}`);
  const agf = {
    seqno: sector.readUInt32BE(8),
    length: sector.readUInt32BE(12),
    bnoRoot: sector.readUInt32BE(16),
    bnoLevel: sector.readUInt32BE(28),
    flFirst: sector.readUInt32BE(40),
    flLast: sector.readUInt32BE(44),
    flCount: sector.readUInt32BE(48),
    freeBlocks: sector.readUInt32BE(52),
    longest: sector.readUInt32BE(56),
  };
  if (agf.seqno !== agno) throw new Error(`AG ${agno}: AGF says it is AG ${agf.seqno}`);
  return agf;
}

/**
 * The blocks on an AG's free list (AGFL, sector 3): the active entries of its ring buffer, from
 * `flFirst` through `flLast`, `flCount` of them. Pure.
 */
export function parseAgflBlocks(sector: Buffer, agf: XfsAgf, agno: number): number[] {
  const magic = sector.readUInt32BE(0);
  if (magic !== XFS_AGFL_MAGIC) throw new Error(`AG ${agno}: AGFL magic 0x${magic.toString(16)}`);
  const size = Math.floor((sector.length - AGFL_HEADER) / 4);
  if (agf.flCount > size || agf.flFirst >= size || agf.flLast >= size) {
    throw new Error(`AG ${agno}: free list ${agf.flFirst}..${agf.flLast} (${agf.flCount}) in ${size} slots`);
  }
  if (agf.flCount === 0) return [];
  const out: number[] = [];
  for (let i = agf.flFirst; out.length < agf.flCount; i = (i + 1) % size) out.push(sector.readUInt32BE(AGFL_HEADER + i * 4));
  if ((agf.flFirst + agf.flCount - 1) % size !== agf.flLast) {
    throw new Error(`AG ${agno}: free list count ${agf.flCount} does not end at slot ${agf.flLast}`);
  }
  return out;
}
