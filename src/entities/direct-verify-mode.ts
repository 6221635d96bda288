/**
 * How a DIRECT run is checked before it may end SUCCEEDED. STANDARD: fsck -n of every discarded
 * filesystem and its free/used maps unchanged. FULL: also a hash of every byte outside the
 * discarded ranges, before and after (costs a read of the whole disk).
 */
export enum DirectVerifyMode {
  STANDARD = "STANDARD",
  FULL = "FULL",
}
