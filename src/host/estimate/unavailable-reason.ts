import type { EstimateUnavailableReason } from "./estimate-unavailable-error.js";
import type { FsSignature } from "./fs-detect.js";

/**
 * Why nothing on the disk can be estimated, or null when some part can. LVM before encryption:
 * virt-sparsify may still free space in a volume group, while a LUKS volume stays as it is. Pure.
 */
export function unavailableReason(parts: readonly FsSignature[]): EstimateUnavailableReason | null {
  if (parts.some((p) => p.estimable)) return null;
  if (parts.some((p) => p.kind === "lvm")) return "LVM";
  if (parts.some((p) => p.kind === "luks")) return "ENCRYPTED";
  if (parts.some((p) => p.type !== null)) return "UNSUPPORTED_FILESYSTEM";
  return "NO_FILESYSTEM";
}
