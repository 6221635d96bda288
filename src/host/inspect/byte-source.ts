import { constants, type FileHandle, open } from "node:fs/promises";
import { ImageRefusal } from "./image-refusal.js";
import { InspectionCode } from "./inspection-code.js";

/** Random access to a file's bytes; the inspector reads through this and nothing else. */
export interface ByteSource {
  size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

/** Reads exactly what was asked (or to the end of the file). */
async function readFully(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

/**
 * Opens a file for inspection without following a final symlink and without blocking on a FIFO
 * or a device (O_NONBLOCK), then refuses anything that is not a regular file.
 * The caller must close the returned handle.
 */
export async function openImageSource(path: string): Promise<{ source: ByteSource; close: () => Promise<void> }> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new ImageRefusal(InspectionCode.NOT_REGULAR_FILE, "the image path is a symbolic link");
    throw new ImageRefusal(InspectionCode.UNREADABLE, `the image cannot be opened (${code ?? (error as Error).message})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile())
      throw new ImageRefusal(
        InspectionCode.NOT_REGULAR_FILE,
        "the image is not a regular file (a FIFO, device, socket or directory)",
      );
    return { source: { size: st.size, read: (offset, length) => readFully(fh, offset, length) }, close: () => fh.close() };
  } catch (error) {
    await fh.close();
    throw error;
  }
}
