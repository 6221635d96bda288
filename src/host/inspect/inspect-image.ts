import { openImageSource, type ByteSource } from "./byte-source.js";
import type { ExpectedFormat } from "./expected-format.js";
import { TAIL_BYTES } from "./format-magic.js";
import { ImageRefusal } from "./image-refusal.js";
import { inspectBytes, type Inspection } from "./inspect-bytes.js";
import { InspectionCode } from "./inspection-code.js";

/**
 * The most the inspector reads from the start of a file. The header, its extensions and the
 * backing name must all sit in the first cluster; a header that needs more is refused.
 */
export const HEAD_BYTES = 64 * 1024;

/**
 * Reads at most HEAD_BYTES from the start and TAIL_BYTES from the end of `source`, then inspects.
 * @throws {ImageRefusal}
 */
export async function inspectSource(source: ByteSource, expected: ExpectedFormat): Promise<Inspection> {
  const headLength = Math.min(source.size, HEAD_BYTES);
  const tailLength = Math.min(source.size, TAIL_BYTES);
  let head: Buffer;
  let tail: Buffer;
  try {
    head = await source.read(0, headLength);
    tail = await source.read(source.size - tailLength, tailLength);
  } catch (error) {
    throw new ImageRefusal(
      InspectionCode.UNREADABLE,
      `the image cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return inspectBytes({ head, tail, size: source.size }, expected);
}

/**
 * Inspects an image file in plain code before any qemu tool may open it: its type, its format
 * against `expected`, and (qcow2) every header field that could make qemu open another file.
 * @throws {ImageRefusal} with a code from InspectionCode; nothing else.
 */
export async function inspectImage(path: string, expected: ExpectedFormat): Promise<Inspection> {
  const { source, close } = await openImageSource(path);
  try {
    return await inspectSource(source, expected);
  } finally {
    await close();
  }
}
