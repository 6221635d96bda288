/**
 * Recognises image formats by their signatures, the way qemu's probes do, so that a file named
 * raw or qcow2 that holds another format is refused instead of being handed to qemu. Pure.
 */

/** Bytes from the start of the file, and the last bytes of it (footers). */
export interface Sample {
  head: Buffer;
  /** The file's last TAIL_BYTES bytes (fewer for a small file). */
  tail: Buffer;
  size: number;
}

export const TAIL_BYTES = 512;

export type DetectedFormat =
  "qcow2" | "qcow" | "qed" | "vmdk" | "vpc" | "vhdx" | "vdi" | "luks" | "parallels" | "bochs" | "cloop" | "dmg";

const ascii = (s: string) => Buffer.from(s, "latin1");

interface Signature {
  format: DetectedFormat;
  matches: (s: Sample) => boolean;
}

const at = (buf: Buffer, offset: number, magic: Buffer) =>
  buf.length >= offset + magic.length && buf.subarray(offset, offset + magic.length).equals(magic);
const QFI = ascii("QFI\xfb");
/** The footer sits in the last 512 bytes; a tail shorter than that has no footer. */
const footer = (s: Sample, magic: Buffer) => s.tail.length === TAIL_BYTES && at(s.tail, 0, magic);

const SIGNATURES: Signature[] = [
  // qcow v1 and qcow2 share the magic; the version field tells them apart.
  { format: "qcow2", matches: (s) => at(s.head, 0, QFI) && s.head.length >= 8 && [2, 3].includes(s.head.readUInt32BE(4)) },
  { format: "qcow", matches: (s) => at(s.head, 0, QFI) && !(s.head.length >= 8 && [2, 3].includes(s.head.readUInt32BE(4))) },
  { format: "qed", matches: (s) => at(s.head, 0, ascii("QED\0")) },
  // Sparse extents ("KDMV"), ESX COW ("COWD") and the text descriptor that names other files.
  {
    format: "vmdk",
    matches: (s) =>
      at(s.head, 0, ascii("KDMV")) ||
      at(s.head, 0, ascii("COWD")) ||
      /^\s*# Disk DescriptorFile/i.test(s.head.subarray(0, 64).toString("latin1")),
  },
  // VHD: a dynamic disk starts with a copy of the footer; a fixed one only has it at the end.
  { format: "vpc", matches: (s) => at(s.head, 0, ascii("conectix")) || footer(s, ascii("conectix")) },
  { format: "vhdx", matches: (s) => at(s.head, 0, ascii("vhdxfile")) },
  { format: "vdi", matches: (s) => s.head.length >= 0x44 && s.head.readUInt32LE(0x40) === 0xbeda107f },
  { format: "luks", matches: (s) => at(s.head, 0, ascii("LUKS\xba\xbe")) },
  { format: "parallels", matches: (s) => at(s.head, 0, ascii("WithoutFreeSpace")) || at(s.head, 0, ascii("WithouFreSpacExt")) },
  { format: "bochs", matches: (s) => at(s.head, 0, ascii("Bochs Virtual HD Image")) },
  { format: "cloop", matches: (s) => at(s.head, 0, ascii("#!/bin/sh\n#V2.0 Format\n")) },
  { format: "dmg", matches: (s) => footer(s, ascii("koly")) },
];

/** Every format whose signature the sample carries (a file can carry more than one). */
export function detectFormats(sample: Sample): DetectedFormat[] {
  return SIGNATURES.filter((sig) => sig.matches(sample)).map((sig) => sig.format);
}
