/** What dumpe2fs says about the superblock it read, to compare with DIRECT's own read. */
export interface Dumpe2fsHeader {
  magic: number;
  blockSize: number;
  blockCount: number;
}

const number = (text: string, label: string, hex = false): number => {
  const m = new RegExp(`^${label}:\\s+(${hex ? "0x[0-9A-Fa-f]+" : "\\d+"})\\s*$`, "m").exec(text);
  const value = Number(m?.[1]);
  if (!m || !Number.isSafeInteger(value)) throw new Error(`dumpe2fs output has no valid "${label}"`);
  return value;
};

/** Parses the header lines "Filesystem magic number", "Block size" and "Block count". Pure. */
export const parseDumpe2fsHeader = (text: string): Dumpe2fsHeader => ({
  magic: number(text, "Filesystem magic number", true),
  blockSize: number(text, "Block size"),
  blockCount: number(text, "Block count"),
});
