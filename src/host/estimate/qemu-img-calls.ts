import { resolve } from "node:path";
import type { ImageFormat } from "../image-format.js";
import { ImageErrorCode, ImageProbeError } from "../image-probe-error.js";
import { ImageToolTimeoutError, runImageTool } from "../run-image-tool.js";
import { classifyQemuError } from "../qemu-error-classifier.js";
import { parseImageInfoJson, type ImageInfo } from "../qemu-img-json.js";
import { parseQemuImgMap, type MapEntry } from "./allocated-extents.js";

/** A fragmented 16 GiB image maps to a few thousand entries (~100 bytes each). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/**
 * One qemu-img call under the estimate's deadline (the host layer's qemuImgInfo has none).
 * @throws {ImageProbeError} classified like every other qemu message.
 */
async function qemuImg(args: string[], path: string, signal: AbortSignal): Promise<string> {
  const result = await runImageTool("qemu-img", args, { signal, maxBuffer: MAX_JSON_BYTES }).catch((error: unknown) => {
    if (error instanceof ImageToolTimeoutError) throw new ImageProbeError(ImageErrorCode.IMAGE_UNREADABLE, error.message, path);
    throw error;
  });
  if (result.isCanceled) throw signal.reason ?? new Error("aborted");
  if (result.exitCode === undefined) throw new Error(`qemu-img could not be run: ${result.shortMessage}`);
  if (result.exitCode !== 0) {
    const message = result.stderr.trim() || `qemu-img exited with ${result.exitCode}`;
    throw new ImageProbeError(classifyQemuError(message), message, path);
  }
  return result.stdout;
}

/**
 * `qemu-img info` of one layer, backing files not opened. Without `shared` it takes the image's
 * lock like a writer would check it, so a running VM's disk fails with IMAGE_IN_USE.
 */
export async function layerInfo(
  path: string,
  format: ImageFormat,
  opts: { shared: boolean; signal: AbortSignal },
): Promise<ImageInfo> {
  const file = resolve(path);
  const args = ["info", "--output=json", "-f", format, ...(opts.shared ? ["-U"] : []), file];
  return parseImageInfoJson(JSON.parse(await qemuImg(args, path, opts.signal)), 0);
}

/**
 * The guest map of one qcow2 layer on its own (`backing: null`): depth 0 is exactly what this
 * file stores, and no backing file is opened, so nothing is ever probed.
 */
export async function ownGuestMap(path: string, opts: { shared: boolean; signal: AbortSignal }): Promise<MapEntry[]> {
  const spec = `json:${JSON.stringify({ driver: "qcow2", backing: null, file: { driver: "file", filename: resolve(path) } })}`;
  const args = ["map", "--output=json", ...(opts.shared ? ["-U"] : []), spec];
  return parseQemuImgMap(JSON.parse(await qemuImg(args, path, opts.signal)));
}

/** The file itself mapped as raw: its data extents on the host (lseek SEEK_DATA/SEEK_HOLE). */
export async function hostFileMap(path: string, signal: AbortSignal): Promise<MapEntry[]> {
  const args = ["map", "--output=json", "-f", "raw", "-U", resolve(path)];
  return parseQemuImgMap(JSON.parse(await qemuImg(args, path, signal)));
}
