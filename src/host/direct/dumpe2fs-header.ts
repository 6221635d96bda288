/** What dumpe2fs says about the superblock it read, to compare with DIRECT's own read. */
export interface Dumpe2fsHeader {
  magic: number;
  blockSize: number;
  blockCount: number;
  /** Lowercase, dashed; "<none>" when the superblock has none. */
  uuid: string;
}

const number = (text: string, label: string, hex = false): number => {
  const m = new RegExp(`^${label}:\\s+(${hex ? "0x[0-9A-Fa-f]+" : "\\d+"})\\s*$`, "m").exec(text);
  const value = Number(m?.[1]);
  if (!m || !Number.isSafeInteger(value)) throw new Error(`dumpe2fs output has no valid "${label}"`);
  return value;
};

const uuid = (text: string): string => {
  const m = /^Filesystem UUID:\s+([0-9a-f-]{36}|<none>)\s*$/im.exec(text);
  if (!m) throw new Error('dumpe2fs output has no valid "Filesystem UUID"');
  return m[1]!.toLowerCase();
};

/** Parses the header lines "Filesystem magic number", "Block size", "Block count" and "Filesystem UUID". Pure. */
export const parseDumpe2fsHeader = (text: string): Dumpe2fsHeader => ({
  magic: number(text, "Filesystem magic number", true),
  blockSize: number(text, "Block size"),
  blockCount: number(text, "Block count"),
  uuid: uuid(text),
});
