import { realpath } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { ImageFormat } from "../image-format.js";
import type { ImageInfo } from "../qemu-img-json.js";
import { probeRawWriteLock } from "../image-lock-probe.js";
import { chainMismatch, type ChainLink } from "./chain-match.js";
import { EstimateUnavailableError } from "./estimate-unavailable-error.js";
import { layerInfo } from "./qemu-img-calls.js";

/** One layer of the disk as qemu will read it, leaf first. */
export interface Layer {
  path: string;
  format: ImageFormat;
  /** qcow2 only: the smallest unit a discard can free. */
  clusterSize?: number;
  /** Part of this disk; false for layers beyond the given volumes (e.g. a template shared with clones). */
  ownedByDisk: boolean;
}

/** Deeper than any real chain; stops a loop that the visited set would miss through bind mounts. */
const MAX_DEPTH = 64;

const real = (path: string) => realpath(path).catch(() => resolve(path));

/**
 * Follows the backing files from the leaf using only what each header records (never probing a
 * format), checks them against `volumes`, and finds out whether the leaf is in use: `qemu-img
 * info` without `-U` fails on a qcow2 a VM holds, `qemu-io` asks a raw image for the write lock.
 * @throws {EstimateUnavailableError} UNREADABLE for an inconsistent or unsafe chain.
 * @throws {ImageProbeError} from qemu (IMAGE_IN_USE…).
 */
export async function resolveChain(volumes: readonly { path: string; format: ImageFormat }[], signal: AbortSignal): Promise<Layer[]> {
  const leaf = volumes[0];
  if (!leaf) throw new TypeError("estimateReclaimable needs at least one volume");
  const chain: Layer[] = [];
  const links: ChainLink[] = [];
  let current: { path: string; format: ImageFormat } | undefined = { path: resolve(leaf.path), format: leaf.format };
  if (leaf.format === "raw") await probeRawWriteLock(current.path);
  while (current) {
    if (chain.length >= MAX_DEPTH) throw new EstimateUnavailableError("UNREADABLE", `backing chain of ${leaf.path} is deeper than ${MAX_DEPTH}`);
    const realPath = await real(current.path);
    if (links.some((l) => l.realPath === realPath)) throw new EstimateUnavailableError("UNREADABLE", `backing chain of ${leaf.path} loops at ${realPath}`);
    const info: ImageInfo | undefined = current.format === "raw" ? undefined : await layerInfo(current.path, current.format, { shared: chain.length > 0, signal });
    // qemu opens a corrupt qcow2 read-only only; virt-sparsify (read-write) would refuse it.
    if (info?.corrupt) throw new EstimateUnavailableError("UNREADABLE", `${current.path} is marked corrupt by qemu`);
    chain.push({ ...current, ...(info?.clusterSize ? { clusterSize: info.clusterSize } : {}), ownedByDisk: chain.length < volumes.length });
    links.push({ realPath, format: current.format });
    const backing: string | undefined = info?.fullBackingFilename ?? info?.backingFilename;
    if (!backing) break;
    const format: string | undefined = info!.backingFormat;
    // Without a recorded format qemu would guess it, and a guest can make its raw disk look like qcow2.
    if (format !== "raw" && format !== "qcow2") {
      throw new EstimateUnavailableError("UNREADABLE", `${current.path} records its backing file ${backing} as ${format ?? "(no format)"}: only raw and qcow2 are read, never guessed`);
    }
    current = { path: resolve(dirname(current.path), backing), format };
  }
  const given = await Promise.all(volumes.map(async (v) => ({ realPath: await real(v.path), format: v.format })));
  const mismatch = chainMismatch(given, links);
  if (mismatch) throw new EstimateUnavailableError("UNREADABLE", mismatch);
  return chain;
}
