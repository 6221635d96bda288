/**
 * Why the image inspector refuses a file. Stored on volumes and disks, shown as blocker codes and
 * as job error codes, so the string values are part of the API.
 */
export enum InspectionCode {
  /** A qcow2 whose guest data lives in another file (named in its header): qemu would write there. */
  EXTERNAL_DATA_FILE = "EXTERNAL_DATA_FILE",
  /** A backing file that is not the next volume of the disk's recorded chain inside the domain. */
  BACKING_OUTSIDE_CHAIN = "BACKING_OUTSIDE_CHAIN",
  /** qcow2 feature bits this gateway does not know: qemu might interpret the file differently. */
  UNKNOWN_FEATURES = "UNKNOWN_FEATURES",
  /** The content is another image format than the file's name (or libvirt) says. */
  FORMAT_MISMATCH = "FORMAT_MISMATCH",
  /** An encrypted qcow2 (AES or LUKS): it cannot be trimmed without its key. */
  ENCRYPTED = "ENCRYPTED",
  /** A qcow2 header that is inconsistent or implausible (sizes, offsets, lengths). */
  HEADER_INVALID = "HEADER_INVALID",
  /** Not a regular file (FIFO, device, directory, socket), or a symlink where a file was expected. */
  NOT_REGULAR_FILE = "NOT_REGULAR_FILE",
  /** The file could not be opened or read for inspection. */
  UNREADABLE = "UNREADABLE",
  /** A layer's backing file is no longer what the scan recorded (or is gone): rescan. */
  CHAIN_CHANGED = "CHAIN_CHANGED",
  /** Scanned before the inspector existed; a rescan inspects it. */
  NOT_INSPECTED = "NOT_INSPECTED",
}

export const INSPECTION_CODES: readonly string[] = Object.values(InspectionCode);
