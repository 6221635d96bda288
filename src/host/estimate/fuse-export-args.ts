import type { ImageFormat } from "../image-format.js";

/** A byte range of the guest disk exported on its own (a partition for a tool without offsets). */
export interface ExportWindow {
  offset: number;
  size: number;
}

/**
 * qemu-storage-daemon arguments that export a disk read-only as a raw file over FUSE. Every
 * layer is its own explicit node, base first: file and format nodes read-only, the driver of
 * each layer named (never probed), each qcow2 layer's backing set to the next node rather than
 * to what its header says, and the base's backing to null. So the daemon opens exactly these
 * files, none of them writable. With a `window`, a raw node with offset and size on top exports
 * just that part of the disk. Pure.
 */
export function fuseExportArgs(
  layers: readonly { path: string; format: ImageFormat }[],
  mountpoint: string,
  allowOther: boolean,
  window?: ExportWindow,
): string[] {
  if (layers.length === 0) throw new TypeError("no layers to export");
  const args: string[] = [];
  for (let i = layers.length - 1; i >= 0; i--) {
    const { path, format } = layers[i]!;
    if (format === "raw" && i !== layers.length - 1) throw new TypeError(`raw layer ${path} cannot have a backing file`);
    args.push("--blockdev", JSON.stringify({ driver: "file", "node-name": `file${i}`, filename: path, "read-only": true }));
    const backing = format === "qcow2" ? { backing: i + 1 < layers.length ? `layer${i + 1}` : null } : {};
    args.push(
      "--blockdev",
      JSON.stringify({ driver: format, "node-name": `layer${i}`, file: `file${i}`, "read-only": true, ...backing }),
    );
  }
  if (window) {
    args.push(
      "--blockdev",
      JSON.stringify({
        driver: "raw",
        "node-name": "window",
        file: "layer0",
        offset: window.offset,
        size: window.size,
        "read-only": true,
      }),
    );
  }
  args.push(
    "--export",
    JSON.stringify({
      type: "fuse",
      id: "view",
      "node-name": window ? "window" : "layer0",
      mountpoint,
      writable: false,
      growable: false,
      "allow-other": allowOther ? "on" : "off",
    }),
  );
  return args;
}
