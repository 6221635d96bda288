import fs from "node:fs/promises";
import path from "node:path";
import { isInside } from "../../domain/storage-path.js";
import type { ImageFormat } from "../image-format.js";

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

/**
 * Walks a domain recursively. Hidden entries are skipped; symlinks are followed only while they
 * stay inside the domain, and each real file is listed once.
 */
export async function findImages(root: string, maxFiles = 100_000): Promise<ImageFile[]> {
  const realRoot = await fs.realpath(root);
  const seen = new Set<string>();
  const found: ImageFile[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith(".")) continue;
      let full = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await fs.realpath(full).catch(() => null);
        if (!target || !isInside(target, realRoot)) continue;
        const st = await fs.stat(target);
        full = target;
        isDir = st.isDirectory();
        isFile = st.isFile();
      }
      if (seen.has(full)) continue;
      seen.add(full);
      if (isDir) await visit(full);
      else if (isFile) {
        const format = formatFromExtension(full);
        if (format) found.push({ relPath: path.relative(realRoot, full), absPath: full, format });
        if (found.length > maxFiles) throw new Error(`more than ${maxFiles} images under ${root}`);
      }
    }
  };
  await visit(realRoot);
  return found;
}
