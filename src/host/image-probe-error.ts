/** Why a qemu-img probe failed. String values so they can cross process and API boundaries. */
export enum ImageErrorCode {
  /** Another qemu-family process holds the image lock (a running VM, qemu-nbd, a sparsify). */
  IMAGE_IN_USE = "IMAGE_IN_USE",
  IMAGE_NOT_FOUND = "IMAGE_NOT_FOUND",
  /** EACCES, or EPERM such as `chattr +i`. */
  PERMISSION_DENIED = "PERMISSION_DENIED",
  /** The bytes do not match the declared format (e.g. `-f qcow2` on a raw file). */
  WRONG_FORMAT = "WRONG_FORMAT",
  /** Anything qemu reported that we do not recognise; the qemu message is kept. */
  IMAGE_UNREADABLE = "IMAGE_UNREADABLE",
}

/** A qemu-img call on an image failed; `message` is qemu's own text, `code` our reading of it. */
export class ImageProbeError extends Error {
  override readonly name = "ImageProbeError";

  constructor(
    readonly code: ImageErrorCode,
    message: string,
    /** The image path the probe was about. */
    readonly path: string,
  ) {
    super(message);
  }
}
