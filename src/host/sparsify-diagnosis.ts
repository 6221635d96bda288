import { JobErrorCode as SparsifyFailureCode } from "../domain/job-error-code.js";
import { ImageErrorCode } from "./image-probe-error.js";
import { classifyQemuError } from "./qemu-error-classifier.js";
import type { SparsifyRunResult } from "./virt-sparsify-runner.js";

/** Why a sparsify run did not succeed: the shared job error vocabulary, under its old local name. */
export { JobErrorCode as SparsifyFailureCode } from "../domain/job-error-code.js";

/** A failure code and a sentence a user can act on. */
export interface SparsifyDiagnosis {
  code: SparsifyFailureCode;
  message: string;
}

/**
 * What a cheap re-check of the image found after the run. Needed because virt-sparsify prints
 * the same `guestfs_launch failed` for a lock, a permission problem, a wrong format and a
 * broken appliance (docs/virt-sparsify.md §9.3).
 */
export interface ImageAccessProbe {
  /** Code of `qemu-img info` *without* `-U` (fails on a held lock); absent if it succeeded. */
  infoError?: ImageErrorCode;
  infoMessage?: string;
  /** errno code of `fs.access(path, W_OK)` (EACCES, EPERM for `chattr +i`, ENOENT…); absent if writable. */
  writeError?: string;
}

/** The fields of a run result the diagnosis reads. */
export type DiagnosableRun = Pick<
  SparsifyRunResult,
  "exitCode" | "signal" | "cancelled" | "timedOut" | "completed" | "errorMessage"
>;

const fromImageCode: Partial<Record<ImageErrorCode, SparsifyDiagnosis>> = {
  [ImageErrorCode.IMAGE_IN_USE]: {
    code: SparsifyFailureCode.IMAGE_IN_USE,
    message: "The image is in use by another process (a running VM, qemu-nbd or another sparsify). Stop it and retry.",
  },
  [ImageErrorCode.IMAGE_NOT_FOUND]: {
    code: SparsifyFailureCode.IMAGE_NOT_FOUND,
    message: "The image file does not exist (any more).",
  },
  [ImageErrorCode.PERMISSION_DENIED]: {
    code: SparsifyFailureCode.PERMISSION_DENIED,
    message: "The worker may not write the image (permissions, ownership or an immutable flag).",
  },
  [ImageErrorCode.WRONG_FORMAT]: {
    code: SparsifyFailureCode.WRONG_FORMAT,
    message: "The image content does not match its recorded format.",
  },
};

const WRITE_ERRORS: Record<string, ImageErrorCode> = {
  EACCES: ImageErrorCode.PERMISSION_DENIED,
  EPERM: ImageErrorCode.PERMISSION_DENIED,
  EROFS: ImageErrorCode.PERMISSION_DENIED,
  ENOENT: ImageErrorCode.IMAGE_NOT_FOUND,
};

const APPLIANCE = /guestfs_launch failed|appliance|supermin|qemu-system\S* (killed|exited)|kvm|tcg/i;

/**
 * Maps a finished run (and, for failures, a probe of the image) to a failure code, or `null`
 * when the run succeeded. Pure. Order matters: our own cancel/timeout first, then what the
 * probe proves about the image, then what the error text says, then the appliance.
 * A run that succeeded without trimming anything is *not* a failure here; check
 * `trimmedDevices` for "nothing to sparsify" (docs/virt-sparsify.md §9.2).
 */
export function diagnoseFailure(run: DiagnosableRun, probe: ImageAccessProbe = {}): SparsifyDiagnosis | null {
  if (run.exitCode === 0 && run.completed && !run.cancelled && !run.timedOut) return null;
  if (run.cancelled) return { code: SparsifyFailureCode.CANCELLED, message: "The run was cancelled." };
  if (run.timedOut) {
    return { code: SparsifyFailureCode.TIMED_OUT, message: "virt-sparsify did not finish within the time limit." };
  }
  const fromProbe = probe.infoError ?? (probe.writeError !== undefined ? WRITE_ERRORS[probe.writeError] : undefined);
  const fromText = run.errorMessage !== undefined ? classifyQemuError(run.errorMessage) : undefined;
  for (const code of [fromProbe, fromText]) {
    const known = code !== undefined ? fromImageCode[code] : undefined;
    if (known) return known;
  }
  const detail = run.errorMessage?.split("\n")[0];
  if (detail !== undefined && APPLIANCE.test(detail)) {
    return {
      code: SparsifyFailureCode.APPLIANCE_FAILED,
      message:
        `The libguestfs appliance failed to start (${detail}). Run libguestfs-test-tool on the host; on ` +
        "hosts without usable KVM set LIBGUESTFS_BACKEND_SETTINGS=force_tcg.",
    };
  }
  const how = run.signal
    ? `was killed by ${run.signal}`
    : run.exitCode === 0
      ? "exited 0 without reporting completion"
      : `exited with ${run.exitCode ?? "no code"}`;
  return {
    code: SparsifyFailureCode.SPARSIFY_FAILED,
    message: `virt-sparsify ${how}${detail ? `: ${detail}` : ""}`,
  };
}
