import { ImageRefusal } from "./image-refusal.js";
import { InspectionCode } from "./inspection-code.js";
import type { Qcow2Header } from "./qcow2-header.js";

/** Feature bits this gateway knows (qcow2.txt); any other bit set is refused. */
export const KNOWN_INCOMPATIBLE = 0b11111n; // dirty, corrupt, external data file, compression type, extended L2
export const KNOWN_COMPATIBLE = 0b1n; // lazy refcounts
export const KNOWN_AUTOCLEAR = 0b11n; // bitmaps, raw external data
const INCOMPAT_DATA_FILE = 1n << 2n;
const INCOMPAT_COMPRESSION = 1n << 3n;
const INCOMPAT_EXTENDED_L2 = 1n << 4n;
const AUTOCLEAR_DATA_FILE_RAW = 1n << 1n;

/** qemu's limits: QCOW_MAX_L1_SIZE, QCOW_MAX_REFTABLE_SIZE, QCOW_MAX_SNAPSHOTS. */
export const MAX_L1_BYTES = 32n * 1024n * 1024n;
export const MAX_REFTABLE_BYTES = 8n * 1024n * 1024n;
export const MAX_SNAPSHOTS = 65536;
const COMPRESSION_TYPES = ["zlib", "zstd"];
const CRYPT_METHODS = ["none", "AES", "LUKS"];

const refuse = (code: InspectionCode, message: string) => new ImageRefusal(code, message);
const invalid = (message: string) => refuse(InspectionCode.HEADER_INVALID, message);

function bits(mask: bigint): number[] {
  const out: number[] = [];
  for (let bit = 0; bit < 64 && mask >> BigInt(bit) !== 0n; bit++) if ((mask >> BigInt(bit)) & 1n) out.push(bit);
  return out;
}

function unknownFeatures(h: Qcow2Header): string[] {
  const groups: [string, bigint][] = [
    ["incompatible", h.incompatibleFeatures & ~KNOWN_INCOMPATIBLE],
    ["compatible", h.compatibleFeatures & ~KNOWN_COMPATIBLE],
    ["autoclear", h.autoclearFeatures & ~KNOWN_AUTOCLEAR],
  ];
  return groups.flatMap(([kind, mask]) =>
    bits(mask).map(
      (bit) => `${kind} bit ${bit}${h.featureNames.has(`${kind}:${bit}`) ? ` (${h.featureNames.get(`${kind}:${bit}`)})` : ""}`,
    ),
  );
}

const aligned = (offset: bigint, clusterSize: bigint) => offset % clusterSize === 0n;

/** Table offsets and sizes that qemu would reject or that point outside the file. */
function checkTables(h: Qcow2Header, fileSize: bigint): void {
  const cs = 1n << BigInt(h.clusterBits);
  const l1Bytes = BigInt(h.l1Size) * 8n;
  if (l1Bytes > MAX_L1_BYTES) throw invalid(`the L1 table claims ${l1Bytes} bytes, more than qemu's ${MAX_L1_BYTES}`);
  // Each L1 entry maps one L2 table: cs/8 entries (cs/16 with extended L2), each one cluster.
  const l2Entries = cs / ((h.incompatibleFeatures & INCOMPAT_EXTENDED_L2) !== 0n ? 16n : 8n);
  const needed = (h.size + cs * l2Entries - 1n) / (cs * l2Entries);
  if (BigInt(h.l1Size) < needed) throw invalid(`the L1 table has ${h.l1Size} entries but a ${h.size}-byte disk needs ${needed}`);
  if (h.l1Size > 0) {
    if (h.l1TableOffset === 0n || !aligned(h.l1TableOffset, cs))
      throw invalid(`the L1 table offset ${h.l1TableOffset} is zero or not cluster-aligned`);
    if (h.l1TableOffset + l1Bytes > fileSize)
      throw invalid(`the L1 table (offset ${h.l1TableOffset}, ${l1Bytes} bytes) ends past the end of the ${fileSize}-byte file`);
  }
  const refBytes = BigInt(h.refcountTableClusters) * cs;
  if (h.refcountTableClusters === 0 || refBytes > MAX_REFTABLE_BYTES)
    throw invalid(
      `the refcount table claims ${h.refcountTableClusters} clusters (${refBytes} bytes; qemu allows 1..${MAX_REFTABLE_BYTES} bytes)`,
    );
  if (h.refcountTableOffset === 0n || !aligned(h.refcountTableOffset, cs))
    throw invalid(`the refcount table offset ${h.refcountTableOffset} is zero or not cluster-aligned`);
  if (h.refcountTableOffset + refBytes > fileSize)
    throw invalid(
      `the refcount table (offset ${h.refcountTableOffset}, ${refBytes} bytes) ends past the end of the ${fileSize}-byte file`,
    );
  if (h.refcountOrder > 6) throw invalid(`refcount_order ${h.refcountOrder} is above 6`);
  if (h.nbSnapshots > MAX_SNAPSHOTS) throw invalid(`${h.nbSnapshots} snapshots claimed, more than qemu's ${MAX_SNAPSHOTS}`);
  if (h.nbSnapshots > 0 && (!aligned(h.snapshotsOffset, cs) || h.snapshotsOffset === 0n || h.snapshotsOffset >= fileSize)) {
    throw invalid(`the snapshot table offset ${h.snapshotsOffset} is zero, not cluster-aligned or past the end of the file`);
  }
}

/**
 * The policy over a parsed header, most specific refusal first: encryption, an external data
 * file, unknown features, then sanity of every size and offset. Pure.
 * @throws {ImageRefusal}
 */
export function checkQcow2(h: Qcow2Header, fileSize: number): void {
  if (h.cryptMethod !== 0 || h.hasEncryptionHeader) {
    const method = CRYPT_METHODS[h.cryptMethod] ?? `method ${h.cryptMethod}`;
    throw refuse(
      InspectionCode.ENCRYPTED,
      `the qcow2 image is encrypted (${method}); it cannot be read or trimmed without its key`,
    );
  }
  if (
    (h.incompatibleFeatures & INCOMPAT_DATA_FILE) !== 0n ||
    h.dataFile !== null ||
    (h.autoclearFeatures & AUTOCLEAR_DATA_FILE_RAW) !== 0n
  ) {
    const raw = (h.autoclearFeatures & AUTOCLEAR_DATA_FILE_RAW) !== 0n ? " (raw)" : "";
    const named = h.dataFile !== null ? ` named ${JSON.stringify(h.dataFile)}` : "";
    throw refuse(
      InspectionCode.EXTERNAL_DATA_FILE,
      `the qcow2 image keeps its data in an external file${raw}${named}; qemu would read and write that file`,
    );
  }
  const unknown = unknownFeatures(h);
  if (unknown.length)
    throw refuse(
      InspectionCode.UNKNOWN_FEATURES,
      `the qcow2 image uses features this gateway does not know: ${unknown.join(", ")}`,
    );
  const compressionBit = (h.incompatibleFeatures & INCOMPAT_COMPRESSION) !== 0n;
  if (compressionBit && !h.compressionType)
    throw invalid("the compression-type feature is set but the header names no compression type");
  if (!compressionBit && h.compressionType) throw invalid(`compression type ${h.compressionType} is set without its feature bit`);
  if (h.compressionType !== null && h.compressionType >= COMPRESSION_TYPES.length)
    throw refuse(
      InspectionCode.UNKNOWN_FEATURES,
      `the qcow2 image uses compression type ${h.compressionType}, which this gateway does not know`,
    );
  if ((h.incompatibleFeatures & INCOMPAT_EXTENDED_L2) !== 0n && h.clusterBits < 14)
    throw invalid(`extended L2 entries need clusters of 16 KiB or more, not ${2 ** h.clusterBits}`);
  if ((h.autoclearFeatures & 1n) !== 0n && !h.hasBitmaps) throw invalid("the bitmaps feature is set without a bitmaps extension");
  checkTables(h, BigInt(fileSize));
}
