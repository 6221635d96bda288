import type { OwnExtent } from "./allocated-extents.js";
import type { HostAllocation } from "./host-allocation.js";
import { alignInward, intersect, normalize, totalBytes, type ByteRange } from "./interval-math.js";

/** What one image layer stores, as needed to price a discard. */
export interface LayerAllocation {
  /** Guest ranges this layer stores itself, sorted and disjoint, with their place in its file. */
  own: OwnExtent[];
  host: HostAllocation;
  /** Smallest unit a discard frees: the qcow2 cluster, or the host block for raw. */
  granule: number;
}

/**
 * Bytes the layer's file would give back if the guest discarded `free` (guest byte ranges, one
 * per discard request as the guest issues them): the layer's own extents inside whole discard
 * granules, translated to file offsets, that the host really has allocated. Pure.
 */
export function reclaimableInLayer(free: readonly ByteRange[], layer: LayerAllocation): number {
  const discarded = normalize(alignInward(free, layer.granule));
  const pieces: ByteRange[] = [];
  for (let i = 0, j = 0; i < discarded.length && j < layer.own.length;) {
    const d = discarded[i]!;
    const o = layer.own[j]!;
    const start = Math.max(d.start, o.start);
    const end = Math.min(d.end, o.end);
    if (end > start) pieces.push({ start: o.hostOffset + (start - o.start), end: o.hostOffset + (end - o.start) });
    if (d.end < o.end) i++;
    else j++;
  }
  const onHost = normalize(pieces);
  const written = totalBytes(intersect(onHost, layer.host.data));
  return written + Math.round((totalBytes(onHost) - written) * layer.host.hiddenShare);
}
