import path from "node:path";

/** The formats this gateway hands to qemu; everything else is refused. */
export type ExpectedFormat = "raw" | "qcow2";

/**
 * The format a file must hold. `.qcow2` is qcow2 and `.raw` raw. `.img` is raw unless a libvirt
 * domain describes the disk: then its `<driver type=…>` decides (pass it as `libvirtDriverType`).
 * Never the content: a guest can write any header into its own raw disk. Returns null for a
 * name or driver type this gateway does not handle.
 */
export function expectedFormat(file: string, libvirtDriverType?: string | null): ExpectedFormat | null {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".qcow2") return "qcow2";
  if (ext === ".raw") return "raw";
  if (ext !== ".img") return null;
  if (libvirtDriverType == null) return "raw";
  return libvirtDriverType === "raw" || libvirtDriverType === "qcow2" ? libvirtDriverType : null;
}
