import { DirectFallbackReason } from "../../domain/direct-method.js";
import type { ReadAt } from "../estimate/partition-table.js";
import { DirectRefusal } from "./direct-contract.js";
import { parseAgf, parseAgflBlocks } from "./xfs-ag-headers.js";
import { parseBnobtBlock } from "./xfs-btree-block.js";
import type { XfsSuperblock } from "./xfs-superblock.js";

/** A free extent: [AG number, first block in the AG, length in blocks]. */
export type XfsExtent = [agno: number, agbno: number, length: number];

/** What reader 2 found: the by-block btrees' free extents, and the AG free lists' blocks apart. */
export interface XfsWalkedFree {
  extents: XfsExtent[];
  freeList: XfsExtent[];
}

/** Deeper than any real XFS free-space btree (XFS_BTREE_MAXLEVELS is 9). */
const MAX_LEVELS = 9;

async function readExact(read: ReadAt, offset: number, length: number, what: string): Promise<Buffer> {
  const bytes = await read(offset, length);
  if (bytes.length !== length) throw new Error(`${what}: short read at ${offset}`);
  return bytes;
}

async function walkAg(read: ReadAt, fsStart: number, sb: XfsSuperblock, agno: number, out: XfsWalkedFree): Promise<void> {
  const agStart = fsStart + agno * sb.agBlocks * sb.blockSize;
  const agLength = Math.min(sb.agBlocks, sb.dBlocks - agno * sb.agBlocks);
  const agf = parseAgf(await readExact(read, agStart + sb.sectSize, sb.sectSize, `AG ${agno} AGF`), agno);
  if (agf.length !== agLength) throw new Error(`AG ${agno}: AGF length ${agf.length}, the superblock makes it ${agLength}`);
  if (agf.bnoLevel < 1 || agf.bnoLevel > MAX_LEVELS) throw new Error(`AG ${agno}: by-block btree of ${agf.bnoLevel} levels`);
  for (const bno of parseAgflBlocks(
    await readExact(read, agStart + 3 * sb.sectSize, sb.sectSize, `AG ${agno} AGFL`),
    agf,
    agno,
  )) {
    if (bno >= agLength) throw new Error(`AG ${agno}: free list block ${bno} beyond the AG`);
    out.freeList.push([agno, bno, 1]);
  }
  const visited = new Set<number>();
  let previousEnd = 0;
  let total = 0;
  let longest = 0;
  // Depth first, children in key order: the leaf records come out sorted, which is checked.
  const visit = async (bno: number, level: number): Promise<void> => {
    if (bno === 0 || bno >= agLength || visited.has(bno)) {
      throw new Error(`AG ${agno}: btree pointer to block ${bno} (out of the AG or seen twice)`);
    }
    visited.add(bno);
    const block = await readExact(read, agStart + bno * sb.blockSize, sb.blockSize, `AG ${agno} block ${bno}`);
    const daddr = ((agno * sb.agBlocks + bno) * sb.blockSize) / 512;
    const node = parseBnobtBlock(block, { daddr, agno, level });
    for (const [start, length] of node.records) {
      if (length === 0 || start < previousEnd || start + length > agLength) {
        throw new Error(`AG ${agno}: free extent ${start}+${length} out of order or outside the AG`);
      }
      previousEnd = start + length;
      total += length;
      longest = Math.max(longest, length);
      out.extents.push([agno, start, length]);
    }
    for (const child of node.pointers) await visit(child, level - 1);
  };
  try {
    await visit(agf.bnoRoot, agf.bnoLevel - 1);
  } catch (error) {
    throw new Error(`AG ${agno} by-block btree: ${(error as Error).message}`);
  }
  if (total !== agf.freeBlocks || longest !== agf.longest) {
    throw new Error(
      `AG ${agno}: btree holds ${total} free blocks (longest ${longest}), the AGF says ${agf.freeBlocks} (longest ${agf.longest})`,
    );
  }
}

/**
 * Reader 2 for XFS: walks each AG's by-block free-space B+tree from the AGF's root, reading at
 * absolute disk offsets (`fsStart + (agno × agblocks + agbno) × blocksize`, the discards'
 * arithmetic), and lists the AG free lists apart (xfs_db counts those blocks as free; DIRECT
 * compares with them but never discards them). Each block must say where it is and who owns it,
 * the records must be sorted inside the AG, and the totals must match the AGF.
 *
 * In-process rather than sandboxed: bounds-checked TypeScript over Buffers, every pointer checked
 * against the AG, each block visited once, the depth bounded.
 * @throws {DirectRefusal} FREE_SPACE_READERS_DISAGREE when the metadata is inconsistent.
 */
export async function readXfsFreeFromBtrees(read: ReadAt, fsStart: number, sb: XfsSuperblock): Promise<XfsWalkedFree> {
  const out: XfsWalkedFree = { extents: [], freeList: [] };
  try {
    for (let agno = 0; agno < sb.agCount; agno++) await walkAg(read, fsStart, sb, agno, out);
  } catch (error) {
    throw new DirectRefusal(
      DirectFallbackReason.FREE_SPACE_READERS_DISAGREE,
      `XFS free-space btrees: ${(error as Error).message}`,
    );
  }
  return out;
}
