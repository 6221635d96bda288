import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { childEnv } from "../child-env.js";
import { imageToolTimeoutMs } from "../run-image-tool.js";
import { runProbe } from "../run-probe.js";
import { toolCommand } from "../tools.js";
import { dataExtents, ownExtents } from "./allocated-extents.js";
import { hostAllocation } from "./host-allocation.js";
import { normalize, totalBytes, type ByteRange } from "./interval-math.js";
import type { LayerAllocation } from "./layer-reclaim.js";
import { hostFileMap, ownGuestMap } from "./qemu-img-calls.js";
import type { Layer } from "./resolve-chain.js";
import { parseUnwrittenExtents } from "./unwritten-extents.js";

/** A raw image gives back whole host filesystem blocks when holes are punched (ext4, xfs: 4 KiB). */
const RAW_GRANULE = 4096;
/** qemu's default, used only if `qemu-img info` did not report one. */
const DEFAULT_CLUSTER = 65536;
/** More allocated than SEEK_DATA shows by this much: look for unwritten extents. */
const HIDDEN_THRESHOLD = 1024 * 1024;

/**
 * Unwritten extents by FIEMAP (`filefrag -v`, e2fsprogs; no sync, read-only). Host metadata,
 * not guest data, so it runs unsandboxed. Empty when the host filesystem has no FIEMAP (NFS):
 * the share estimate of host-allocation.ts covers that case.
 */
async function unwrittenExtents(path: string, signal: AbortSignal): Promise<ByteRange[]> {
  const result = await runProbe(toolCommand("filefrag"), ["-v", resolve(path)], {
    reject: false,
    signal,
    maxBuffer: 64 * 1024 * 1024,
    env: childEnv({ LC_ALL: "C" }),
    timeoutMs: imageToolTimeoutMs(),
  });
  if (result.isCanceled) throw signal.reason;
  if (result.exitCode !== 0) return [];
  try {
    return parseUnwrittenExtents(result.stdout);
  } catch {
    return [];
  }
}

/**
 * What one layer stores and what of it takes host space: for qcow2 the layer's own guest map
 * (`backing: null`) composed with the host map of its file; for raw the file is the disk.
 * Two `qemu-img map` calls at most (~4 ms each), plus `filefrag` when st_blocks shows
 * preallocated space that the maps cannot see.
 */
export async function readLayerAllocation(layer: Layer, opts: { leaf: boolean; signal: AbortSignal }): Promise<LayerAllocation> {
  const [st, hostMap, guestMap] = await Promise.all([
    stat(layer.path),
    hostFileMap(layer.path, opts.signal),
    layer.format === "qcow2" ? ownGuestMap(layer.path, { shared: !opts.leaf, signal: opts.signal }) : undefined,
  ]);
  let data = dataExtents(hostMap);
  const allocatedBytes = st.blocks * 512;
  if (allocatedBytes - totalBytes(data) > HIDDEN_THRESHOLD)
    data = normalize([...data, ...(await unwrittenExtents(layer.path, opts.signal))]);
  const host = hostAllocation({ data, fileSize: st.size, allocatedBytes });
  return guestMap
    ? { own: ownExtents(guestMap), host, granule: layer.clusterSize ?? DEFAULT_CLUSTER }
    : { own: [{ start: 0, end: st.size, hostOffset: 0 }], host, granule: RAW_GRANULE };
}
