import { crc32 } from "node:zlib";
import { SECTOR } from "./mbr.js";

/** The fields of a GPT header the estimator uses; LBAs as numbers (safe below 4 PiB). */
export interface GptHeader {
  currentLba: number;
  backupLba: number;
  entriesLba: number;
  entryCount: number;
  entrySize: number;
  entriesCrc: number;
}

/** A used GPT entry. LBAs inclusive, as stored. */
export interface GptEntry {
  index: number;
  typeGuid: string;
  firstLba: number;
  lastLba: number;
}

/** Guards against headers that would make us read megabytes of "entries". */
const MAX_ENTRIES_BYTES = 1024 * 1024;

const u64 = (b: Buffer, at: number) => Number(b.readBigUInt64LE(at));

/**
 * Parses and checks a GPT header read from `lba`: signature, size, CRC32, and that it says it
 * lives where it was read. Returns null when any check fails (try the backup then). Pure.
 */
export function parseGptHeader(sector: Buffer, lba: number): GptHeader | null {
  if (sector.length < SECTOR || sector.toString("latin1", 0, 8) !== "EFI PART") return null;
  const headerSize = sector.readUInt32LE(12);
  if (headerSize < 92 || headerSize > SECTOR) return null;
  const copy = Buffer.from(sector.subarray(0, headerSize));
  copy.writeUInt32LE(0, 16);
  if (crc32(copy) !== sector.readUInt32LE(16)) return null;
  const header = {
    currentLba: u64(sector, 24),
    backupLba: u64(sector, 32),
    entriesLba: u64(sector, 72),
    entryCount: sector.readUInt32LE(80),
    entrySize: sector.readUInt32LE(84),
    entriesCrc: sector.readUInt32LE(88),
  };
  if (header.currentLba !== lba) return null;
  if (header.entrySize < 128 || header.entrySize % 8 !== 0) return null;
  if (header.entryCount * header.entrySize > MAX_ENTRIES_BYTES) return null;
  return header;
}

/** Bytes of the entry array a header describes. */
export const gptEntriesBytes = (h: GptHeader) => h.entryCount * h.entrySize;

const guid = (b: Buffer) => {
  const hex = (from: number, to: number, le: boolean) => {
    const part = Buffer.from(b.subarray(from, to));
    return (le ? part.reverse() : part).toString("hex");
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
};

/** The used entries of a GPT entry array, or null when its CRC32 does not match the header. Pure. */
export function parseGptEntries(entries: Buffer, header: GptHeader): GptEntry[] | null {
  if (entries.length < gptEntriesBytes(header)) return null;
  if (crc32(entries.subarray(0, gptEntriesBytes(header))) !== header.entriesCrc) return null;
  const out: GptEntry[] = [];
  for (let index = 0; index < header.entryCount; index++) {
    const e = entries.subarray(index * header.entrySize, (index + 1) * header.entrySize);
    if (e.subarray(0, 16).every((byte) => byte === 0)) continue;
    out.push({ index, typeGuid: guid(e.subarray(0, 16)), firstLba: u64(e, 32), lastLba: u64(e, 40) });
  }
  return out;
}
