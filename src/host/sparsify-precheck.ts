import { access, constants } from "node:fs/promises";
import path from "node:path";
import { JobErrorCode } from "../domain/job-error-code.js";
import { classifyAllocation } from "../domain/preallocation.js";
import { AllocationSource, DiskAllocation, DiskFormat } from "../domain/disk-enums.js";
import type { ImageFormat } from "./image-format.js";
import { probeRawWriteLock } from "./image-lock-probe.js";
import { ImageErrorCode, ImageProbeError } from "./image-probe-error.js";
import { qemuImgCheck, qemuImgInfo, type ImageInfo } from "./qemu-img.js";

export interface PrecheckInput {
  path: string;
  format: ImageFormat;
  /** Backing file recorded at the last scan (absolute); null when the leaf had none. */
  expectedBackingPath: string | null;
  /** An admin who said SPARSE overrides an inferred verdict. */
  allocationSetByUser: DiskAllocation | null;
}

export type PrecheckResult = { ok: true; info: ImageInfo } | { ok: false; code: JobErrorCode; message: string };

/** A probe's reading of qemu's error, as the job error it becomes (checked: every probe code maps). */
const AS_JOB_ERROR: Record<ImageErrorCode, JobErrorCode> = {
  [ImageErrorCode.IMAGE_IN_USE]: JobErrorCode.IMAGE_IN_USE,
  [ImageErrorCode.IMAGE_NOT_FOUND]: JobErrorCode.IMAGE_NOT_FOUND,
  [ImageErrorCode.PERMISSION_DENIED]: JobErrorCode.PERMISSION_DENIED,
  [ImageErrorCode.WRONG_FORMAT]: JobErrorCode.WRONG_FORMAT,
  [ImageErrorCode.IMAGE_UNREADABLE]: JobErrorCode.IMAGE_UNREADABLE,
};

const fail = (code: JobErrorCode, message: string): PrecheckResult => ({ ok: false, code, message });

/**
 * Re-reads the image right before running, because the inventory may be stale: `qemu-img info`
 * WITHOUT -U fails if any qemu process (a VM, qemu-nbd, an orphaned sparsify) holds the image.
 */
export async function precheckImage(input: PrecheckInput): Promise<PrecheckResult> {
  let info: ImageInfo;
  try {
    info = await qemuImgInfo(input.path, input.format);
    // On raw, qemu-img info only needs a read permission a running VM shares: ask for write.
    if (input.format === "raw") await probeRawWriteLock(input.path);
  } catch (error) {
    if (!(error instanceof ImageProbeError)) throw error;
    const why: Record<ImageErrorCode, string> = {
      [ImageErrorCode.IMAGE_IN_USE]:
        "The image is in use by another process (a running VM, qemu-nbd or another sparsify); nothing was changed",
      [ImageErrorCode.IMAGE_NOT_FOUND]: "The image file does not exist any more; rescan the storage domain",
      [ImageErrorCode.PERMISSION_DENIED]: "The worker may not open the image",
      [ImageErrorCode.WRONG_FORMAT]: `The image is not in its recorded format (${input.format})`,
      [ImageErrorCode.IMAGE_UNREADABLE]: "qemu-img cannot read the image",
    };
    return fail(AS_JOB_ERROR[error.code], `${why[error.code]}: ${error.message}`);
  }
  try {
    await access(input.path, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(
      JobErrorCode.PERMISSION_DENIED,
      `The worker may not write the image (${code}${code === "EPERM" ? ", immutable flag?" : ""})`,
    );
  }
  const backing =
    info.fullBackingFilename ?? (info.backingFilename ? path.resolve(path.dirname(input.path), info.backingFilename) : null);
  if ((backing ?? null) !== (input.expectedBackingPath ?? null)) {
    return fail(
      JobErrorCode.CHAIN_CHANGED,
      `The image's backing file changed since the last scan (now ${backing ?? "none"}, was ` +
        `${input.expectedBackingPath ?? "none"}); rescan the storage domain`,
    );
  }
  if (input.allocationSetByUser !== DiskAllocation.SPARSE) {
    const check =
      input.format === "qcow2" && info.apparentSize >= info.virtualSize ? await qemuImgCheck(input.path).catch(() => null) : null;
    const verdict = classifyAllocation({
      format: input.format === "qcow2" ? DiskFormat.QCOW2 : DiskFormat.RAW,
      virtualSize: info.virtualSize,
      actualSize: info.actualSize,
      ...(check ?? {}),
    });
    if (verdict.allocation === DiskAllocation.PREALLOCATED) {
      return fail(
        JobErrorCode.PREALLOCATED,
        `The image is preallocated (${verdict.source === AllocationSource.DETECTED ? "detected" : "inferred: every block is written"}); ` +
          "sparsifying would silently make it thin. An admin can mark it SPARSE if that is wrong",
      );
    }
  }
  return { ok: true, info };
}
