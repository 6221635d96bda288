import { realpath } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { ImageFormat } from "../image-format.js";
import type { ImageInfo } from "../qemu-img-json.js";
import { probeRawWriteLock } from "../image-lock-probe.js";
import { ImageRefusal } from "../inspect/image-refusal.js";
import { inspectChain } from "../inspect/inspect-chain.js";
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
 * Opens the chain the inventory recorded (leaf first: the disk's own volumes, then its
 * template's) and nothing else: the image inspector checks every layer and that each header's
 * backing file is the next recorded layer before qemu sees any of them; qemu's own view must then
 * agree. Also finds out whether the leaf is in use: `qemu-img info` without `-U` fails on a qcow2
 * a VM holds, `qemu-io` asks a raw image for the write lock.
 * @param ownedCount how many of `volumes` belong to the disk (the rest are read, never counted).
 * @throws {EstimateUnavailableError} an inspector code, or UNREADABLE for an inconsistent chain.
 * @throws {ImageProbeError} from qemu (IMAGE_IN_USE…).
 */
export async function resolveChain(
  volumes: readonly { path: string; format: ImageFormat }[],
  signal: AbortSignal,
  ownedCount = volumes.length,
  domainRoot?: string,
): Promise<Layer[]> {
  const leaf = volumes[0];
  if (!leaf) throw new TypeError("estimateReclaimable needs at least one volume");
  if (volumes.length > MAX_DEPTH)
    throw new EstimateUnavailableError("UNREADABLE", `backing chain of ${leaf.path} is deeper than ${MAX_DEPTH}`);
  try {
    await inspectChain(volumes, domainRoot ?? dirname(resolve(leaf.path)));
  } catch (error) {
    if (error instanceof ImageRefusal) throw new EstimateUnavailableError(error.code, error.message);
    throw error;
  }
  if (leaf.format === "raw") await probeRawWriteLock(resolve(leaf.path));
  const chain: Layer[] = [];
  const links: ChainLink[] = [];
  for (const [i, volume] of volumes.entries()) {
    const current = { path: resolve(volume.path), format: volume.format };
    const realPath = await real(current.path);
    if (links.some((l) => l.realPath === realPath))
      throw new EstimateUnavailableError("UNREADABLE", `backing chain of ${leaf.path} loops at ${realPath}`);
    const info: ImageInfo | undefined =
      current.format === "raw" ? undefined : await layerInfo(current.path, current.format, { shared: i > 0, signal });
    // qemu opens a corrupt qcow2 read-only only; virt-sparsify (read-write) would refuse it.
    if (info?.corrupt) throw new EstimateUnavailableError("UNREADABLE", `${current.path} is marked corrupt by qemu`);
    chain.push({ ...current, ...(info?.clusterSize ? { clusterSize: info.clusterSize } : {}), ownedByDisk: i < ownedCount });
    links.push({ realPath, format: current.format });
    // qemu must see the same backing file the inspector accepted (it read the header itself).
    const backing = info?.fullBackingFilename ?? info?.backingFilename;
    const next = volumes[i + 1];
    if (
      !backing !== !next ||
      (backing && next && (await real(resolve(dirname(current.path), backing))) !== (await real(next.path)))
    ) {
      throw new EstimateUnavailableError(
        "UNREADABLE",
        `qemu reads the backing file of ${current.path} as ${backing ?? "none"}, the inventory records ${next?.path ?? "none"}`,
      );
    }
  }
  const given = await Promise.all(volumes.map(async (v) => ({ realPath: await real(v.path), format: v.format })));
  const mismatch = chainMismatch(given, links);
  if (mismatch) throw new EstimateUnavailableError("UNREADABLE", mismatch);
  return chain;
}
