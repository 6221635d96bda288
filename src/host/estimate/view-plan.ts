import type { ImageFormat } from "../image-format.js";

/**
 * How the guest disk is shown to the parsers. `direct`: the raw image file itself, only when the
 * parser runs as the worker (it could open the file anyway) and the path has no `?`, which
 * e2fsprogs would read as an io-manager option. `fuse`: a read-only qemu-storage-daemon export:
 * always for qcow2, and for raw when the parser drops to another uid, which must not be able to
 * open the image, let alone write it. Pure.
 */
export function viewPlan(
  layers: readonly { path: string; format: ImageFormat }[],
  parserDropsPrivileges: boolean,
): "direct" | "fuse" {
  const only = layers.length === 1 ? layers[0]! : undefined;
  return only?.format === "raw" && !parserDropsPrivileges && !only.path.includes("?") ? "direct" : "fuse";
}
