/** Sector size of the virtual disks qemu presents (logical_block_size default). */
export const SECTOR = 512;

/** One slot of an MBR or EBR partition table, in sectors. */
export interface MbrEntry {
  slot: number;
  type: number;
  firstLba: number;
  sectors: number;
}

const EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);
export const GPT_PROTECTIVE_TYPE = 0xee;
export const isExtended = (type: number) => EXTENDED_TYPES.has(type);

/**
 * The used slots of the partition table in a boot sector, or null when the sector is not one:
 * no 55AA, a boot flag other than 0x00/0x80 (a FAT boot sector has code there, the kernel makes
 * the same test), or no used slot. Pure.
 */
export function parseMbr(sector: Buffer): MbrEntry[] | null {
  if (sector.length < SECTOR || sector[510] !== 0x55 || sector[511] !== 0xaa) return null;
  const entries: MbrEntry[] = [];
  for (let slot = 0; slot < 4; slot++) {
    const e = 446 + slot * 16;
    const boot = sector[e]!;
    if (boot !== 0x00 && boot !== 0x80) return null;
    const type = sector[e + 4]!;
    const firstLba = sector.readUInt32LE(e + 8);
    const sectors = sector.readUInt32LE(e + 12);
    if (type !== 0 && sectors !== 0) entries.push({ slot, type, firstLba, sectors });
  }
  return entries.length ? entries : null;
}

/**
 * One extended boot record: its logical partition (first slot, relative to this EBR) and the
 * next EBR (second slot, relative to the start of the extended partition). Absolute LBAs. Pure.
 */
export function parseEbr(sector: Buffer, ebrLba: number, extendedLba: number): { logical?: MbrEntry; nextEbrLba?: number } {
  if (sector.length < SECTOR || sector[510] !== 0x55 || sector[511] !== 0xaa) return {};
  const slot = (n: number) => {
    const e = 446 + n * 16;
    return { type: sector[e + 4]!, rel: sector.readUInt32LE(e + 8), sectors: sector.readUInt32LE(e + 12) };
  };
  const first = slot(0);
  const second = slot(1);
  return {
    ...(first.type !== 0 && first.sectors !== 0
      ? { logical: { slot: 0, type: first.type, firstLba: ebrLba + first.rel, sectors: first.sectors } }
      : {}),
    ...(isExtended(second.type) && second.rel !== 0 ? { nextEbrLba: extendedLba + second.rel } : {}),
  };
}
