import { access, constants } from "node:fs/promises";
import type { ImageFormat } from "./image-format.js";
import { probeRawWriteLock } from "./image-lock-probe.js";
import { ImageProbeError } from "./image-probe-error.js";
import { qemuImgInfo } from "./qemu-img.js";
import { diagnoseFailure, type ImageAccessProbe, type SparsifyDiagnosis } from "./sparsify-diagnosis.js";
import type { SparsifyRunResult } from "./virt-sparsify-runner.js";

/**
 * Re-checks an image the cheap way (~5–10 ms): `qemu-img info` *without* `-U`, which fails if
 * anyone holds a qcow2 (for raw, a write-lock probe with qemu-io is added: see
 * {@link probeRawWriteLock}), and `access(W_OK)`, which catches EACCES and `chattr +i` (EPERM).
 */
export async function probeImageAccess(path: string, format: ImageFormat): Promise<ImageAccessProbe> {
  const probe: ImageAccessProbe = {};
  try {
    await qemuImgInfo(path, format);
    if (format === "raw") await probeRawWriteLock(path);
  } catch (error) {
    if (!(error instanceof ImageProbeError)) throw error;
    probe.infoError = error.code;
    probe.infoMessage = error.message;
  }
  try {
    await access(path, constants.W_OK);
  } catch (error) {
    probe.writeError = (error as NodeJS.ErrnoException).code ?? "UNKNOWN";
  }
  return probe;
}

/**
 * {@link diagnoseFailure} plus the probe it needs; probes only when the run failed for a
 * reason other than our own cancel or timeout.
 */
export async function diagnoseRun(
  result: SparsifyRunResult,
  image: { path: string; format: ImageFormat },
): Promise<SparsifyDiagnosis | null> {
  const first = diagnoseFailure(result);
  if (first === null || result.cancelled || result.timedOut) return first;
  return diagnoseFailure(result, await probeImageAccess(image.path, image.format));
}
