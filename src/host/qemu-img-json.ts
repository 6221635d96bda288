import type { ImageFormat } from "./image-format.js";

/** What `qemu-img info` tells us about one image layer, plus the file's apparent size. */
export interface ImageInfo {
  format: ImageFormat;
  /** Guest-visible disk size in bytes. */
  virtualSize: number;
  /** Bytes allocated on the host (st_blocks × 512): the number sparsify reduces. */
  actualSize: number;
  /** `stat` size in bytes; does not shrink when holes are punched (docs/virt-sparsify.md §9.8). */
  apparentSize: number;
  /** qcow2 only. */
  clusterSize?: number;
  /** Backing file as written in the overlay header (may be relative). */
  backingFilename?: string;
  /** Backing file resolved by qemu relative to the overlay. */
  fullBackingFilename?: string;
  backingFormat?: string;
  dirty: boolean;
  corrupt: boolean;
}

/** The counters of `qemu-img check --output=json` that the gateway uses. */
export interface ImageCheck {
  /** 0 when qemu omits the field (it does for an image with nothing allocated). */
  allocatedClusters: number;
  totalClusters: number;
  /** Present when qemu found corruption (rc 2). */
  corruptions?: number;
  /** Present when qemu found leaked clusters (rc 3). */
  leaks?: number;
  /** Errors that stopped the check itself. */
  checkErrors?: number;
  imageEndOffset?: number;
}

type Json = Record<string, unknown>;

const num = (o: Json, key: string): number | undefined => (typeof o[key] === "number" ? (o[key] as number) : undefined);
const str = (o: Json, key: string): string | undefined => (typeof o[key] === "string" ? (o[key] as string) : undefined);

function requireNum(o: Json, key: string): number {
  const value = num(o, key);
  if (value === undefined) throw new Error(`qemu-img JSON lacks numeric "${key}"`);
  return value;
}

/** Drops `undefined` members so results compare cleanly and serialise without noise. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Maps the JSON object printed by `qemu-img info --output=json` (one layer) to {@link ImageInfo}. */
export function parseImageInfoJson(json: unknown, apparentSize: number): ImageInfo {
  const o = json as Json;
  const format = str(o, "format");
  if (format !== "raw" && format !== "qcow2") throw new Error(`unexpected image format ${String(format)}`);
  const specific = ((o["format-specific"] as Json | undefined)?.data ?? {}) as Json;
  return compact({
    format,
    virtualSize: requireNum(o, "virtual-size"),
    actualSize: requireNum(o, "actual-size"),
    apparentSize,
    clusterSize: num(o, "cluster-size"),
    backingFilename: str(o, "backing-filename"),
    fullBackingFilename: str(o, "full-backing-filename"),
    backingFormat: str(o, "backing-filename-format"),
    dirty: o["dirty-flag"] === true,
    corrupt: specific.corrupt === true,
  });
}

/** Maps the JSON object printed by `qemu-img check --output=json` to {@link ImageCheck}. */
export function parseImageCheckJson(json: unknown): ImageCheck {
  const o = json as Json;
  return compact({
    allocatedClusters: num(o, "allocated-clusters") ?? 0,
    totalClusters: requireNum(o, "total-clusters"),
    corruptions: num(o, "corruptions"),
    leaks: num(o, "leaks"),
    checkErrors: num(o, "check-errors"),
    imageEndOffset: num(o, "image-end-offset"),
  });
}
