import { gptEntriesBytes, parseGptEntries, parseGptHeader, type GptHeader } from "./gpt.js";
import { GPT_PROTECTIVE_TYPE, isExtended, parseEbr, parseMbr, SECTOR } from "./mbr.js";

/** A partition as a byte range of the disk, numbered like Linux does (logical MBR ones from 5). */
export interface Partition {
  number: number;
  start: number;
  length: number;
}

/** `none`: no partition table, the whole disk is one filesystem (or nothing). */
export interface DiskLayout {
  table: "none" | "mbr" | "gpt";
  partitions: Partition[];
}

/** Reads `length` bytes at `offset` of the guest disk (short at the end of the disk). */
export type ReadAt = (offset: number, length: number) => Promise<Buffer>;

/** Linux reads at most this many logical partitions; a longer chain is a loop or an attack. */
const MAX_LOGICAL = 128;

function inDisk(number: number, startLba: number, sectors: number, diskSize: number): Partition | null {
  const start = startLba * SECTOR;
  if (sectors <= 0 || start >= diskSize) return null;
  return { number, start, length: Math.min(sectors * SECTOR, diskSize - start) };
}

async function readGpt(read: ReadAt, diskSize: number): Promise<Partition[]> {
  const lastLba = Math.floor(diskSize / SECTOR) - 1;
  // Primary header first; the backup at the last sector if the primary is damaged, as Linux does.
  for (const lba of [1, lastLba]) {
    const header: GptHeader | null = parseGptHeader(await read(lba * SECTOR, SECTOR), lba);
    // The entry array must lie inside the disk: the LBA is a guest-chosen 64-bit number.
    if (!header || header.entriesLba * SECTOR + gptEntriesBytes(header) > diskSize) continue;
    const entries = parseGptEntries(await read(header.entriesLba * SECTOR, gptEntriesBytes(header)), header);
    if (!entries) continue;
    return entries
      .filter((e) => e.lastLba >= e.firstLba)
      .map((e) => inDisk(e.index + 1, e.firstLba, e.lastLba - e.firstLba + 1, diskSize))
      .filter((p): p is Partition => p !== null);
  }
  return [];
}

async function readLogical(read: ReadAt, extendedLba: number, diskSize: number): Promise<Partition[]> {
  const out: Partition[] = [];
  const seen = new Set<number>();
  for (let ebr: number | undefined = extendedLba; ebr !== undefined && out.length < MAX_LOGICAL;) {
    if (seen.has(ebr) || ebr * SECTOR >= diskSize) break;
    seen.add(ebr);
    const { logical, nextEbrLba } = parseEbr(await read(ebr * SECTOR, SECTOR), ebr, extendedLba);
    const part =
      logical && !isExtended(logical.type) ? inDisk(5 + out.length, logical.firstLba, logical.sectors, diskSize) : null;
    if (part) out.push(part);
    ebr = nextEbrLba;
  }
  return out;
}

/**
 * Finds the partitions of a guest disk from its own bytes (untrusted: every offset is bounded by
 * the disk, chains by a count and a visited set). A protective MBR means GPT; otherwise the MBR's
 * primary partitions and the logical ones in its extended partition. 512-byte sectors.
 */
export async function readDiskLayout(read: ReadAt, diskSize: number): Promise<DiskLayout> {
  const mbr = parseMbr(await read(0, SECTOR));
  if (!mbr) return { table: "none", partitions: [] };
  if (mbr.some((e) => e.type === GPT_PROTECTIVE_TYPE)) return { table: "gpt", partitions: await readGpt(read, diskSize) };
  const partitions: Partition[] = [];
  for (const e of mbr) {
    if (isExtended(e.type)) partitions.push(...(await readLogical(read, e.firstLba, diskSize)));
    else {
      const part = inDisk(e.slot + 1, e.firstLba, e.sectors, diskSize);
      if (part) partitions.push(part);
    }
  }
  return { table: "mbr", partitions: partitions.sort((a, b) => a.number - b.number) };
}
