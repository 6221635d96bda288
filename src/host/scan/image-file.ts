import path from "node:path";
import type { ImageFormat } from "../image-format.js";

/** One image file the walk found, named by its real path. */
export interface ImageFile {
  /** Path relative to the domain root (of the real file). */
  relPath: string;
  absPath: string;
  /** From the extension only: a guest can write a qcow2 header into a raw disk, so never probe. */
  format: ImageFormat;
}

const FORMAT_BY_EXTENSION: Record<string, ImageFormat> = { ".qcow2": "qcow2", ".raw": "raw", ".img": "raw" };

export function formatFromExtension(file: string): ImageFormat | null {
  return FORMAT_BY_EXTENSION[path.extname(file).toLowerCase()] ?? null;
}
