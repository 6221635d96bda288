import type { FileHandle } from "node:fs/promises";

/** Reads `length` bytes at `offset`, looping over short reads; short only at the end of the file. */
export async function readAt(fd: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fd.read(buffer, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}
