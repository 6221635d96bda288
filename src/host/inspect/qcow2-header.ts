import { ByteView } from "./byte-view.js";
import { ImageRefusal } from "./image-refusal.js";
import { InspectionCode } from "./inspection-code.js";

/** Header extension types (docs/interop/qcow2.txt, "Header extensions"). */
export const Qcow2Extension = {
  END: 0x00000000,
  BACKING_FORMAT: 0xe2792aca,
  FEATURE_NAMES: 0x6803f857,
  BITMAPS: 0x23852875,
  ENCRYPTION_HEADER: 0x0537be77,
  DATA_FILE: 0x44415441,
} as const;

/** The fields of a qcow2 v2/v3 header and the header extensions the inspector reads. */
export interface Qcow2Header {
  version: 2 | 3;
  backingFileOffset: bigint;
  backingFileSize: number;
  clusterBits: number;
  size: bigint;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: bigint;
  refcountTableOffset: bigint;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: bigint;
  incompatibleFeatures: bigint;
  compatibleFeatures: bigint;
  autoclearFeatures: bigint;
  refcountOrder: number;
  headerLength: number;
  /** null when the header is too short to hold the field (v2, or v3 with 104 bytes). */
  compressionType: number | null;
  backingFile: string | null;
  backingFormat: string | null;
  dataFile: string | null;
  hasEncryptionHeader: boolean;
  hasBitmaps: boolean;
  /** "incompatible:5" → the name the image gives that bit, for messages. */
  featureNames: Map<string, string>;
}

/** qemu opens clusters of 512 B to 2 MiB only. */
export const MIN_CLUSTER_BITS = 9;
export const MAX_CLUSTER_BITS = 21;
/** qemu refuses longer backing names. */
export const MAX_BACKING_NAME = 1023;
const V2_HEADER_LENGTH = 72;
const V3_MIN_HEADER_LENGTH = 104;
/** Each extension takes at least 8 bytes, so the walk is bounded by the bytes anyway; this is a second stop. */
const MAX_EXTENSIONS = 256;

const invalid = (message: string) => new ImageRefusal(InspectionCode.HEADER_INVALID, message);
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A name stored in the header. qemu reads these as byte strings; a NUL or a control character
 * would make qemu and us read different names, and non-UTF-8 bytes cannot be compared to paths.
 */
function headerString(bytes: Buffer, what: string): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalid(`the ${what} is not valid UTF-8`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw invalid(`the ${what} contains a NUL or control character`);
  return text;
}

function readExtensions(view: ByteView, start: number, end: number, h: Qcow2Header): void {
  const seen = new Set<number>();
  let offset = start;
  for (let count = 0; ; count++) {
    if (count > MAX_EXTENSIONS) throw invalid(`more than ${MAX_EXTENSIONS} header extensions`);
    if (offset + 8 > end) throw invalid(`the header extensions run past the end of the first cluster (${end} bytes)`);
    const type = view.u32(offset);
    const length = view.u32(offset + 4);
    if (type === Qcow2Extension.END) return;
    const dataEnd = offset + 8 + length;
    if (dataEnd > end)
      throw invalid(`header extension 0x${type.toString(16)} of ${length} bytes runs past the end of the first cluster`);
    const data = view.slice(offset + 8, length);
    if (type !== Qcow2Extension.FEATURE_NAMES && seen.has(type))
      throw invalid(`header extension 0x${type.toString(16)} appears twice`);
    seen.add(type);
    switch (type) {
      case Qcow2Extension.BACKING_FORMAT:
        h.backingFormat = headerString(data, "backing format name");
        break;
      case Qcow2Extension.DATA_FILE:
        h.dataFile = headerString(data, "external data file name");
        break;
      case Qcow2Extension.ENCRYPTION_HEADER:
        h.hasEncryptionHeader = true;
        break;
      case Qcow2Extension.BITMAPS:
        h.hasBitmaps = true;
        break;
      case Qcow2Extension.FEATURE_NAMES:
        for (let i = 0; i + 48 <= data.length; i += 48) {
          const kind = ["incompatible", "compatible", "autoclear"][data[i]!] ?? `type${data[i]}`;
          const name = data
            .subarray(i + 2, i + 48)
            .toString("latin1")
            .replace(/\0.*$/s, "")
            .replace(/[^\x20-\x7e]/g, "?");
          h.featureNames.set(`${kind}:${data[i + 1]}`, name);
        }
        break;
      default:
        break; // unknown extensions may be ignored (qcow2.txt); qemu ignores them too
    }
    offset = dataEnd + ((8 - (length % 8)) % 8);
  }
}

/**
 * Parses a qcow2 header from the first bytes of a file (magic already checked). Structural
 * problems (lengths and offsets that do not fit) are refused here; policy is in qcow2-rules.
 * @throws {ImageRefusal} HEADER_INVALID
 */
export function parseQcow2Header(head: Buffer): Qcow2Header {
  const view = new ByteView(head, "qcow2 header");
  const version = view.u32(4);
  if (version !== 2 && version !== 3) throw invalid(`qcow2 version ${version} is not 2 or 3`);
  const clusterBits = view.u32(20);
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS)
    throw invalid(`cluster_bits ${clusterBits} is outside ${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS}`);
  const clusterSize = 2 ** clusterBits;
  const h: Qcow2Header = {
    version,
    backingFileOffset: view.u64(8),
    backingFileSize: view.u32(16),
    clusterBits,
    size: view.u64(24),
    cryptMethod: view.u32(32),
    l1Size: view.u32(36),
    l1TableOffset: view.u64(40),
    refcountTableOffset: view.u64(48),
    refcountTableClusters: view.u32(56),
    nbSnapshots: view.u32(60),
    snapshotsOffset: view.u64(64),
    incompatibleFeatures: 0n,
    compatibleFeatures: 0n,
    autoclearFeatures: 0n,
    refcountOrder: 4,
    headerLength: V2_HEADER_LENGTH,
    compressionType: null,
    backingFile: null,
    backingFormat: null,
    dataFile: null,
    hasEncryptionHeader: false,
    hasBitmaps: false,
    featureNames: new Map(),
  };
  if (version === 3) {
    h.incompatibleFeatures = view.u64(72);
    h.compatibleFeatures = view.u64(80);
    h.autoclearFeatures = view.u64(88);
    h.refcountOrder = view.u32(96);
    h.headerLength = view.u32(100);
    if (h.headerLength < V3_MIN_HEADER_LENGTH || h.headerLength % 8 !== 0)
      throw invalid(`header_length ${h.headerLength} is below ${V3_MIN_HEADER_LENGTH} or not a multiple of 8`);
    if (h.headerLength > clusterSize)
      throw invalid(`header_length ${h.headerLength} is larger than the ${clusterSize}-byte cluster`);
    if (h.headerLength > V3_MIN_HEADER_LENGTH) h.compressionType = view.u8(104);
  }
  // The extensions and the backing name live in the first cluster; we may only have read part of it.
  const firstCluster = Math.min(clusterSize, head.length);
  readExtensions(view, h.headerLength, firstCluster, h);
  if (h.backingFileOffset !== 0n) {
    if (h.backingFileSize === 0 || h.backingFileSize > MAX_BACKING_NAME)
      throw invalid(`backing file name length ${h.backingFileSize} is outside 1..${MAX_BACKING_NAME}`);
    if (h.backingFileOffset > BigInt(firstCluster - h.backingFileSize))
      throw invalid(
        `the backing file name (offset ${h.backingFileOffset}, ${h.backingFileSize} bytes) is outside the first cluster`,
      );
    h.backingFile = headerString(view.slice(Number(h.backingFileOffset), h.backingFileSize), "backing file name");
  }
  return h;
}
