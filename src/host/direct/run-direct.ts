import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DirectFallbackReason } from "../../domain/direct-method.js";
import { DirectVerifyMode } from "../../domain/direct-verify-mode.js";
import { nfsSupportsDiscard } from "../../domain/sparsify-blockers.js";
import { detectFilesystem, PROBE_BYTES, type FsSignature } from "../estimate/fs-detect.js";
import { clip, normalize, totalBytes, type ByteRange } from "../estimate/interval-math.js";
import { readDiskLayout, type DiskLayout } from "../estimate/partition-table.js";
import { UntrustedRunError } from "../estimate/run-untrusted.js";
import { sandboxPlan } from "../estimate/sandbox-plan.js";
import { EstimateUnavailableError } from "../estimate/estimate-unavailable-error.js";
import type { ImageFormat } from "../image-format.js";
import { ImageErrorCode, ImageProbeError } from "../image-probe-error.js";
import { readFileFacts, type FileIdentity } from "../path-guard.js";
import { readNfsVersion } from "../nfs-mounts.js";
import {
  DirectRefusal,
  type DirectPlan,
  type PartitionView,
  type ProvenFreeSpace,
  type SkippedPartition,
} from "./direct-contract.js";
import { openDirectDaemon, openFileReader, type DirectDaemon } from "./direct-daemon.js";
import { hashInUse } from "./in-use-hash.js";
import { loopDevicesOver } from "./loop-devices.js";
import { proveOpenedChain } from "./opened-files.js";
import { DiscardFailedError, sendDiscards } from "./send-discards.js";
import { DirectVerificationError, swapHeaderHash, verifyPartition, type PartitionBefore } from "./verify-direct.js";

/** The free-space proof (src/host/direct: planDirect, proveFreeRanges), injected so the engine stays testable. */
export interface DirectProver {
  plan(layout: DiskLayout, signatures: readonly FsSignature[], diskSize: number): DirectPlan;
  prove(view: PartitionView, signal: AbortSignal): Promise<ProvenFreeSpace>;
}

/** The phases a DIRECT run reports, in order. */
export type DirectPhase = "READING" | "DISCARDING" | "VERIFYING";

/** Options for {@link runDirect}. */
export interface DirectRunInput {
  /**
   * The disk's chain, leaf first, real paths proved by the path guard; formats from the inventory.
   * `identity`: the file the guard proved (device and inode); the daemon must hold exactly these
   * open. Without it, the file at the path when the run starts (lstat) is the one expected.
   */
  layers: readonly { path: string; format: ImageFormat; identity?: FileIdentity }[];
  prover: DirectProver;
  verify: DirectVerifyMode;
  signal: AbortSignal;
  onPhase?: (phase: DirectPhase) => void;
  /** Called once, right before the first discard is sent: from then on the job never falls back. */
  onFirstDiscard?: () => void | Promise<void>;
  /** After each qemu-io batch: ranges sent so far, of how many. */
  onDiscardProgress?: (sent: number, total: number) => void;
  /** Ranges per qemu-io process. @default 50000 */
  discardBatch?: number;
}

/** What a DIRECT run did. */
export interface DirectRunResult {
  discardedBytes: number;
  discardCount: number;
  /** Per discarded partition: kind and proven free bytes. */
  parts: { number: number; kind: string; freeBytes: number }[];
  skipped: SkippedPartition[];
  verify: DirectVerifyMode;
  durationMs: number;
  /** Wall time of each step (ms): the daemon's start, the proofs, the discards, the check. */
  timings: DirectTimings;
}

/** Where a DIRECT run's time went, in ms (the daemon's stop comes after and is not counted). */
export interface DirectTimings {
  open: number;
  prove: number;
  discard: number;
  verify: number;
}

/** A DIRECT run failed after its first discard (not its verification): the job fails, never falls back. */
export class DirectRunError extends Error {
  override readonly name = "DirectRunError";
}

export { DirectVerificationError };

/**
 * Refusals found on the host before anything is opened read-write: a loop device over a layer,
 * NFS older than 4.2 under the leaf.
 * @throws {DirectRefusal}
 */
async function refuseHost(layers: DirectRunInput["layers"]): Promise<void> {
  const loops = await loopDevicesOver(layers.map((l) => l.path));
  if (loops.length)
    throw new DirectRefusal(DirectFallbackReason.LOOP_DEVICE_ATTACHED, `the image is attached to ${loops.join(", ")}`);
  const nfs = await readNfsVersion(dirname(layers[0]!.path));
  if (nfs && !nfsSupportsDiscard(nfs))
    throw new DirectRefusal(DirectFallbackReason.NFS_WITHOUT_DISCARD, `the image is on NFS ${nfs}, which cannot punch holes`);
}

/** Each layer's path with the identity the daemon must find open: the guard's, or the file there now (lstat). */
const expectedIdentities = (layers: DirectRunInput["layers"]) =>
  Promise.all(
    layers.map(async ({ path, identity }) => {
      if (identity) return { path, identity };
      const { device, inode } = await readFileFacts(path);
      return { path, identity: { device, inode } };
    }),
  );

/** A tool failing before the first discard is a doubt, not a failure: fall back, saying which. */
function beforeDiscard(error: unknown): unknown {
  if (error instanceof DirectRefusal) return error;
  // The image in use stays what it is: virt-sparsify would meet the same lock.
  if (error instanceof ImageProbeError && error.code === ImageErrorCode.IMAGE_IN_USE) return error;
  if (error instanceof ImageProbeError || error instanceof UntrustedRunError || error instanceof EstimateUnavailableError) {
    return new DirectRefusal(DirectFallbackReason.DIRECT_TOOL_FAILED, error.message);
  }
  return error;
}

/** How long the check after a cancelled run may take (it still holds the image's lock). */
const VERIFY_AFTER_ABORT_MS = 120_000;

/**
 * The read-only check after discards, through fresh exports (new inodes: nothing read before
 * the discards can come from the page cache): each partition ({@link verifyPartition}), then with
 * FULL the hash of every byte outside the discarded ranges.
 * @throws {DirectVerificationError}
 */
async function verifyDisk(
  disk: DirectDaemon,
  before: readonly PartitionBefore[],
  ranges: readonly ByteRange[],
  fullBefore: string | null,
  prover: DirectProver,
  signal: AbortSignal,
): Promise<void> {
  // Read by this process only: no scratch overlay (one qemu-img process fewer per run).
  const whole = await openFileReader(await disk.openWindow({ offset: 0, size: disk.size }, { readOnly: true }));
  try {
    // Windows one at a time (one QMP conversation), then every read-only check at once.
    const paths: string[] = [];
    for (const b of before)
      paths.push(await disk.openWindow({ offset: b.view.partition.start, size: b.view.partition.length }, { readOnly: true }));
    const checks = before.map((b, i) =>
      verifyPartition({ ...b, view: { ...b.view, path: paths[i]!, readDisk: whole.read } }, prover.prove, signal),
    );
    const full = fullBefore === null ? Promise.resolve(null) : hashInUse(whole.read, disk.size, ranges, signal);
    const settled = await Promise.allSettled([...checks, full]);
    // The first failing partition in disk order is the one reported, as when they ran in turn.
    const failed = settled.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    if (fullBefore !== null && (settled.at(-1) as PromiseFulfilledResult<string | null>).value !== fullBefore) {
      throw new DirectVerificationError("bytes outside the discarded ranges changed (FULL hash differs)");
    }
  } finally {
    await whole.close();
  }
}

async function readPlan(daemon: DirectDaemon, prover: DirectProver): Promise<DirectPlan> {
  const layout = await readDiskLayout(daemon.read, daemon.size);
  const regions = layout.table === "none" ? [{ start: 0, length: daemon.size }] : layout.partitions;
  const signatures: FsSignature[] = [];
  for (const { start, length } of regions)
    signatures.push(detectFilesystem(await daemon.read(start, Math.min(PROBE_BYTES, length))));
  return prover.plan(layout, signatures, daemon.size);
}

/** One partition's proof, checked to lie inside it, with its swap header's hash. @throws {DirectRefusal} */
async function proveBefore(view: PartitionView, prover: DirectProver, signal: AbortSignal): Promise<PartitionBefore> {
  const { partition, kind } = view;
  const proven = await prover.prove(view, signal);
  // The proof's ranges are guest-disk offsets inside its own partition, or it is wrong.
  const inside = clip(proven.ranges, partition.start, partition.start + partition.length);
  if (totalBytes(inside) !== totalBytes(proven.ranges)) {
    throw new DirectRefusal(
      DirectFallbackReason.FREE_SPACE_READERS_DISAGREE,
      `free ranges outside partition ${partition.number}`,
    );
  }
  return {
    view,
    proven: { ...proven, ranges: normalize(proven.ranges) },
    ...(kind === "swap" ? { swapHeader: await swapHeaderHash(view) } : {}),
  };
}

/**
 * Sparsifies a disk without the appliance: one qemu-storage-daemon takes the image's write lock
 * and holds it from reading the filesystems, through the discards, to the verification. Under
 * that lock it reads the partition table, has every filesystem's free space proven (never from a
 * stored estimate), discards exactly those ranges through its NBD export, then checks read-only
 * that each filesystem is intact ({@link verifyPartition}; FULL also hashes every other byte).
 *
 * @throws {DirectRefusal} a doubt before the first discard: the caller runs virt-sparsify instead.
 * @throws {DirectVerificationError} the discards happened and the check failed: block the disk.
 * @throws {DirectRunError} the discards started and a tool failed: fail the job (no fallback).
 * @throws {ImageProbeError} IMAGE_IN_USE: another process holds the image.
 */
export async function runDirect(input: DirectRunInput): Promise<DirectRunResult> {
  const started = performance.now();
  const { signal, prover } = input;
  const timings: DirectTimings = { open: 0, prove: 0, discard: 0, verify: 0 };
  let mark = started;
  const lap = (step: keyof DirectTimings) => {
    const now = performance.now();
    timings[step] = Math.round(now - mark);
    mark = now;
  };
  let discarding = false;
  let daemon: DirectDaemon | undefined;
  /** Set once discards may have happened: the read-only check, also run after a cancel. */
  let verifyAfter: ((signal: AbortSignal) => Promise<void>) | undefined;
  try {
    const [, sandbox, expected] = await Promise.all([refuseHost(input.layers), sandboxPlan(), expectedIdentities(input.layers)]);
    input.onPhase?.("READING");
    daemon = await openDirectDaemon(input.layers, {
      signal,
      ...(sandbox.isRoot ? { parser: { uid: sandbox.uid!, gid: sandbox.gid! } } : {}),
    });
    const disk = daemon;
    // Before any byte is read through it: the daemon opened the chain that was checked, and nothing else.
    await proveOpenedChain(disk.pid, expected);
    lap("open");
    const plan = await readPlan(disk, prover);
    // Windows one at a time (one QMP conversation), then the partitions are proven side by side.
    // Read-only, no scratch overlay: every reader and fsck only reads (dumpe2fs, e2fsck -n, xfs_db -r;
    // xfs_logprint gets its private copy, xfs-log-copy.ts), so no qemu-img process is needed per window.
    const views: PartitionView[] = [];
    for (const { partition, kind } of plan.discard) {
      const path = await disk.openWindow({ offset: partition.start, size: partition.length }, { readOnly: true });
      views.push({ partition, kind, path, readDisk: disk.read });
    }
    const proofs = await Promise.allSettled(views.map((view) => proveBefore(view, prover, signal)));
    // The first refusal in disk order decides, as when they ran in turn.
    const refused = proofs.find((p) => p.status === "rejected");
    if (refused) throw refused.reason;
    const before = proofs.map((p) => (p as PromiseFulfilledResult<PartitionBefore>).value);
    const ranges: ByteRange[] = before.flatMap((b) => b.proven.ranges);
    const fullBefore = input.verify === DirectVerifyMode.FULL ? await hashInUse(disk.read, disk.size, ranges, signal) : null;

    lap("prove");
    input.onPhase?.("DISCARDING");
    signal.throwIfAborted();
    await input.onFirstDiscard?.();
    discarding = true;
    verifyAfter = (checkSignal) => verifyDisk(disk, before, ranges, fullBefore, prover, checkSignal);
    const sent = await sendDiscards(disk.nbdUri, ranges, ranges, signal, {
      ...(input.discardBatch ? { batch: input.discardBatch } : {}),
      onProgress: input.onDiscardProgress,
    });

    lap("discard");
    input.onPhase?.("VERIFYING");
    await verifyAfter(signal);
    lap("verify");
    return {
      discardedBytes: sent.bytes,
      discardCount: sent.count,
      parts: before.map((b) => ({ number: b.view.partition.number, kind: b.view.kind, freeBytes: totalBytes(b.proven.ranges) })),
      skipped: plan.skipped,
      verify: input.verify,
      durationMs: Math.round(performance.now() - started),
      timings,
    };
  } catch (error) {
    if (!discarding) throw beforeDiscard(error);
    if (error instanceof DirectVerificationError) throw error;
    // Stopped mid-way (cancel, lost storage): what was discarded is still checked before the lock
    // goes; a check that cannot finish (hung storage) counts as failed, so the disk is blocked.
    if (signal.aborted && verifyAfter) {
      const late = sleep(VERIFY_AFTER_ABORT_MS, undefined, { ref: false }).then(() =>
        Promise.reject(new DirectVerificationError("the check after the stop did not finish in time")),
      );
      late.catch(() => undefined); // it loses the race when the check ends first
      await Promise.race([verifyAfter(AbortSignal.timeout(VERIFY_AFTER_ABORT_MS)), late]);
    }
    if (signal.aborted) throw error;
    if (error instanceof DiscardFailedError) throw new DirectRunError(error.message);
    throw new DirectRunError(`after the first discard: ${(error as Error).message}`);
  } finally {
    await daemon?.close();
  }
}
