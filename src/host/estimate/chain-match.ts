import type { ImageFormat } from "../image-format.js";

/** A layer as found by following backing files from the leaf (paths already real). */
export interface ChainLink {
  realPath: string;
  format: ImageFormat;
}

/**
 * Checks that the volumes the caller says make up the disk are the leaf and the first backing
 * layers qemu will really read, in order and with the same formats. Returns what is wrong, or
 * null. The chain may go on beyond them (a template shared with other disks). Pure.
 */
export function chainMismatch(volumes: readonly ChainLink[], chain: readonly ChainLink[]): string | null {
  if (volumes.length > chain.length) {
    return `${volumes.length} volumes given but the backing chain of ${volumes[0]?.realPath} has only ${chain.length} layer(s)`;
  }
  for (const [i, v] of volumes.entries()) {
    const c = chain[i]!;
    if (v.realPath !== c.realPath) return `volume ${i} is ${v.realPath} but the chain has ${c.realPath} there`;
    if (v.format !== c.format) return `volume ${i} (${v.realPath}) is given as ${v.format} but recorded as ${c.format}`;
  }
  return null;
}
