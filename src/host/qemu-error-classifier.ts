import { ImageErrorCode } from "./image-probe-error.js";

/**
 * Ordered: the first matching rule wins. Lock errors come first because qemu wraps them in
 * "Could not open", and permission before not-found because a missing search permission on a
 * parent directory is reported as "Permission denied", not as a missing file.
 */
const RULES: ReadonlyArray<readonly [RegExp, ImageErrorCode]> = [
  [/Failed to get (shared )?"?\w+"? lock/i, ImageErrorCode.IMAGE_IN_USE],
  [/Permission denied|Operation not permitted|\bEACCES\b|\bEPERM\b/i, ImageErrorCode.PERMISSION_DENIED],
  [/No such file or directory|\bENOENT\b/i, ImageErrorCode.IMAGE_NOT_FOUND],
  [
    /Image is not in \w+ format|does not support checks|invalid \w+ image descriptor|Unknown driver|not a (qcow2|raw) image/i,
    ImageErrorCode.WRONG_FORMAT,
  ],
];

/**
 * Maps qemu's stderr (qemu-img, qemu-system `-v` lines, qemu-storage-daemon) to an
 * {@link ImageErrorCode}. Pure; anything unrecognised is `IMAGE_UNREADABLE`.
 */
export function classifyQemuError(stderr: string): ImageErrorCode {
  for (const [pattern, code] of RULES) if (pattern.test(stderr)) return code;
  return ImageErrorCode.IMAGE_UNREADABLE;
}
