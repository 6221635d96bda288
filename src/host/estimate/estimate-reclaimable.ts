import { ImageErrorCode, ImageProbeError } from "../image-probe-error.js";
import { EstimateUnavailableError, type EstimateUnavailableReason } from "./estimate-unavailable-error.js";
import type { PartKind } from "./fs-detect.js";
import { readLayerAllocation } from "./layer-allocation-reader.js";
import { reclaimableInLayer } from "./layer-reclaim.js";
import { methodLabel } from "./method-label.js";
import { openRawView } from "./raw-view.js";
import { resolveChain } from "./resolve-chain.js";
import { UntrustedRunError } from "./run-untrusted.js";
import { sandboxPlan } from "./sandbox-plan.js";
import { scanDisk } from "./scan-disk.js";
import { unavailableReason } from "./unavailable-reason.js";

export { EstimateUnavailableError, type EstimateUnavailableReason };

/** What sparsifying a disk would give back, estimated without booting the appliance. */
export interface ReclaimEstimate {
  /** Bytes `virt-sparsify --in-place` on the leaf would free on the host. */
  reclaimableBytes: number;
  /** How many MORE bytes merging the disk's snapshots first would free; null for a single volume. */
  afterMergeBytes: number | null;
  /** e.g. "ext4+swap: free blocks ∩ qemu-img map". */
  method: string;
  /** Every partition (or the whole disk), including the ones that cannot be estimated (0 bytes). */
  parts: { start: number; length: number; kind: PartKind; reclaimableBytes: number }[];
  durationMs: number;
}

export interface EstimateInput {
  volumes: { path: string; format: "raw" | "qcow2" }[];
  /** How many of `volumes` belong to the disk. @default volumes.length */
  ownedCount?: number;
  /** The storage domain: every backing file must resolve inside it. @default the leaf's directory */
  domainRoot?: string;
  timeoutMs?: number;
  /** Stops the estimate (it rejects with the signal's reason once its tools have let go). */
  signal?: AbortSignal;
}

/** The worker gives 20 s per disk; a healthy 16 GiB image takes well under 0.2 s. */
const DEFAULT_TIMEOUT_MS = 20_000;

function asUnavailable(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (error instanceof EstimateUnavailableError) return error;
  if (error instanceof ImageProbeError) {
    const reason = error.code === ImageErrorCode.IMAGE_IN_USE ? "IMAGE_IN_USE" : "UNREADABLE";
    return new EstimateUnavailableError(reason, `${error.code}: ${error.message}`);
  }
  if (error instanceof UntrustedRunError)
    return new EstimateUnavailableError(error.failure === "TIMED_OUT" ? "TIMED_OUT" : "UNREADABLE", error.message);
  return error;
}

async function estimate(input: EstimateInput, signal: AbortSignal, started: number): Promise<ReclaimEstimate> {
  // First: without its sandbox nothing is estimated, and no image is opened for nothing.
  const sandbox = await sandboxPlan();
  const all = input.volumes;
  const chain = await resolveChain(all, signal, input.ownedCount ?? all.length, input.domainRoot);
  const volumes = all.slice(0, input.ownedCount ?? all.length);
  const owned = chain.filter((l) => l.ownedByDisk);
  // Host maps need no view: run them while the export starts (cores: 2, processes: short).
  const allocations = Promise.all(owned.map((layer, i) => readLayerAllocation(layer, { leaf: i === 0, signal })));
  allocations.catch(() => undefined); // awaited below; do not let an early failure go unhandled
  let parts;
  try {
    const viewOptions = { signal, ...(sandbox.isRoot ? { parser: { uid: sandbox.uid!, gid: sandbox.gid! } } : {}) };
    const view = await openRawView(chain, viewOptions);
    try {
      parts = await scanDisk(view, { signal, openWindow: (window) => openRawView(chain, { ...viewOptions, window }) });
    } finally {
      await view.close();
    }
  } catch (error) {
    // Let the maps end (a few ms, or killed by the deadline) so no qemu-img outlives the call.
    await Promise.allSettled([allocations]);
    throw error;
  }
  const [leaf, ...backing] = await allocations;
  const signatures = parts.map((p) => p.signature);
  const reason = unavailableReason(signatures);
  if (reason) {
    const problems = parts.flatMap((p) => (p.problem ? [p.problem] : []));
    const found = signatures.map((s) => s.type ?? "nothing").join(", ") || "no partitions";
    // A filesystem we should have read but could not: say so rather than "unsupported".
    if (problems.length) throw new EstimateUnavailableError("UNREADABLE", `${volumes[0]!.path}: ${problems.join("; ")}`);
    throw new EstimateUnavailableError(
      reason,
      `nothing virt-sparsify could free can be estimated on ${volumes[0]!.path} (${found})`,
    );
  }
  // Partitions may overlap on a hostile disk: totals come from the union, never from a sum of parts.
  const allFree = parts.flatMap((p) => p.free);
  return {
    reclaimableBytes: reclaimableInLayer(allFree, leaf!),
    afterMergeBytes: volumes.length > 1 ? backing.reduce((sum, layer) => sum + reclaimableInLayer(allFree, layer), 0) : null,
    method: methodLabel(signatures, chain.length),
    parts: parts.map((p) => ({
      start: p.start,
      length: p.length,
      kind: p.signature.kind,
      reclaimableBytes: reclaimableInLayer(p.free, leaf!),
    })),
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * Estimates, read-only and without the appliance, what `virt-sparsify --in-place` would give back
 * on a disk: the leaf's host-allocated bytes in blocks the guest filesystems mark free (ext2/3/4;
 * XFS where xfs_db is installed) plus SWAPSPACE2 partitions after their header, and what the
 * disk's own backing layers hold in those blocks (`afterMergeBytes`). Images are only read (a
 * read-only FUSE view, `qemu-img`; a raw leaf's write-lock probe opens it read-write for a few ms
 * and writes nothing, so sha256 and mtime stay); guest metadata is parsed by a sandboxed
 * dumpe2fs/xfs_db or by pure code; everything runs under `timeoutMs`.
 *
 * @param input.volumes the disk's recorded chain, leaf first: its own layers, then (beyond
 *   `ownedCount`) a shared template's, read for the guest view but never counted. Headers never
 *   add layers: a backing file that is not the next given volume is refused.
 * @throws {EstimateUnavailableError} NO_FILESYSTEM, UNSUPPORTED_FILESYSTEM, LVM, ENCRYPTED,
 *   IMAGE_IN_USE, UNREADABLE, TIMED_OUT or SANDBOX_* (see `sandboxPlan`). Anything else is a bug or a missing host tool.
 */
export async function estimateReclaimable(input: EstimateInput): Promise<ReclaimEstimate> {
  const started = performance.now();
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new EstimateUnavailableError("TIMED_OUT", `estimate took longer than ${timeoutMs} ms`)),
    timeoutMs,
  );
  const stop = () => controller.abort(input.signal!.reason);
  if (input.signal?.aborted) stop();
  else input.signal?.addEventListener("abort", stop, { once: true });
  try {
    return await estimate(input, controller.signal, started);
  } catch (error) {
    throw asUnavailable(error, controller.signal);
  } finally {
    clearTimeout(timer);
    input.signal?.removeEventListener("abort", stop);
  }
}
