import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { ImageFormat } from "./image-format.js";
import { ImageErrorCode, ImageProbeError } from "./image-probe-error.js";
import { classifyQemuError } from "./qemu-error-classifier.js";
import { ImageToolTimeoutError, runImageTool } from "./run-image-tool.js";
import { parseImageCheckJson, parseImageInfoJson, type ImageCheck, type ImageInfo } from "./qemu-img-json.js";

export type { ImageCheck, ImageInfo } from "./qemu-img-json.js";

/** Options for {@link qemuImgInfo}. */
export interface QemuImgInfoOptions {
  /**
   * Pass `-U` (force share): read an image even while a VM or a sparsify holds it.
   * Leave it off to *detect* that someone holds it: the call then fails with IMAGE_IN_USE.
   * @default false
   */
  shared?: boolean;
}

/**
 * qemu parses `json:{…}` and `proto:` prefixes in file names; an absolute path starts with `/`,
 * so neither a protocol nor an option (`-x`) can be smuggled in through a file name.
 */
const safePath = (path: string) => resolve(path);

async function runQemuImg(args: string[], path: string, okExitCodes: readonly number[] = [0]) {
  // Bounded (timeout, prlimit) with an allow-listed environment: a hung mount or a hostile header ends here.
  const result = await runImageTool("qemu-img", args).catch((error: unknown) => {
    if (error instanceof ImageToolTimeoutError) throw new ImageProbeError(ImageErrorCode.IMAGE_UNREADABLE, error.message, path);
    throw error;
  });
  if (result.exitCode === undefined) {
    // Spawn failure (qemu-img missing): a host problem, not an image problem.
    throw new Error(`qemu-img could not be run: ${result.shortMessage}`);
  }
  if (!okExitCodes.includes(result.exitCode)) {
    const message = result.stderr.trim() || `qemu-img exited with ${result.exitCode}`;
    throw new ImageProbeError(classifyQemuError(message), message, path);
  }
  return result;
}

/**
 * `qemu-img info --output=json -f <format> [-U] <path>`, plus the apparent size from `stat`.
 * The format is always given so qemu never probes it.
 * @throws {ImageProbeError} with the qemu message and a classified code.
 */
export async function qemuImgInfo(path: string, format: ImageFormat, opts: QemuImgInfoOptions = {}): Promise<ImageInfo> {
  const file = safePath(path);
  const args = ["info", "--output=json", "-f", format, ...(opts.shared ? ["-U"] : []), file];
  const { stdout } = await runQemuImg(args, path);
  const { size } = await stat(file);
  return parseImageInfoJson(JSON.parse(stdout), size);
}

/**
 * `qemu-img check --output=json -f qcow2 -U <path>`. Exit codes 2 (corruption) and 3 (leaks)
 * still carry the JSON report and are returned, not thrown; raw images (rc 63) throw WRONG_FORMAT.
 * @throws {ImageProbeError}
 */
export async function qemuImgCheck(path: string): Promise<ImageCheck> {
  const file = safePath(path);
  const args = ["check", "--output=json", "-f", "qcow2", "-U", file];
  const { stdout, stderr, exitCode } = await runQemuImg(args, path, [0, 2, 3]);
  if (!stdout.trim()) {
    const message = stderr.trim() || `qemu-img check exited with ${exitCode} and no report`;
    throw new ImageProbeError(ImageErrorCode.IMAGE_UNREADABLE, message, path);
  }
  return parseImageCheckJson(JSON.parse(stdout));
}
