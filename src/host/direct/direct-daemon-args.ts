import type { ImageFormat } from "../image-format.js";

/** Where the daemon listens and exports: all inside one private directory. */
export interface DirectDaemonPaths {
  /** NBD unix socket of the writable export (in a 0700 directory: only the worker connects). */
  nbdSocket: string;
  /** QMP monitor socket (same private directory). */
  qmpSocket: string;
  /** The read-only FUSE export of the whole guest disk. */
  view: string;
}

const L2_CACHE_BYTES = 32 * 1024 * 1024;

/** Name of the writable NBD export (qemu-io opens `nbd+unix:///<name>?socket=…`). */
export const NBD_EXPORT = "disk";

/**
 * qemu-storage-daemon arguments for a DIRECT run. Like the estimator's view (fuse-export-args.ts)
 * every layer is an explicit node, base first, format named and never probed, each qcow2 layer's
 * backing set to the next node; but the leaf's file and format nodes are writable with
 * `discard: unmap`, so the daemon takes the image's write lock (a running VM or another tool makes
 * it fail) and holds it until it stops. The disk is exported twice: read-only over FUSE for the
 * readers and checkers, writable over NBD on a unix socket for the discards; QMP adds per-partition
 * read-only windows later. Backing layers stay read-only. Pure.
 */
export function directDaemonArgs(
  layers: readonly { path: string; format: ImageFormat }[],
  paths: DirectDaemonPaths,
  allowOther: boolean,
): string[] {
  if (layers.length === 0) throw new TypeError("no layers to open");
  const args: string[] = [];
  for (let i = layers.length - 1; i >= 0; i--) {
    const { path, format } = layers[i]!;
    if (format === "raw" && i !== layers.length - 1) throw new TypeError(`raw layer ${path} cannot have a backing file`);
    const access = i === 0 ? { "read-only": false, discard: "unmap" } : { "read-only": true };
    args.push("--blockdev", JSON.stringify({ driver: "file", "node-name": `file${i}`, filename: path, ...access }));
    const backing = format === "qcow2" ? { backing: i + 1 < layers.length ? `layer${i + 1}` : null } : {};
    // The leaf's L2 tables for a 256 GiB disk (64 KiB clusters) stay cached: discarding GiBs
    // touches all of them (~25 % faster on 16 GiB than the 1 MiB default).
    const cache = format === "qcow2" && i === 0 ? { "l2-cache-size": L2_CACHE_BYTES } : {};
    args.push(
      "--blockdev",
      JSON.stringify({ driver: format, "node-name": `layer${i}`, file: `file${i}`, ...access, ...backing, ...cache }),
    );
  }
  args.push("--nbd-server", JSON.stringify({ addr: { type: "unix", path: paths.nbdSocket }, "max-connections": 1 }));
  args.push("--export", JSON.stringify({ type: "nbd", id: "discard", "node-name": "layer0", name: NBD_EXPORT, writable: true }));
  args.push(
    "--export",
    JSON.stringify({
      type: "fuse",
      id: "view",
      "node-name": "layer0",
      mountpoint: paths.view,
      writable: false,
      growable: false,
      "allow-other": allowOther ? "on" : "off",
    }),
  );
  args.push("--chardev", `socket,id=qmp,path=${paths.qmpSocket},server=on,wait=off`, "--monitor", "chardev=qmp");
  return args;
}
