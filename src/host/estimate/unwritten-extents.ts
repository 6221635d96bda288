import { normalize, type ByteRange } from "./interval-math.js";

const HEADER = /^File size of .* is \d+ \(\d+ blocks? of (\d+) bytes\)/m;
const EXTENT = /^\s*\d+:\s*(\d+)\.\.\s*(\d+):.*$/gm;

/**
 * File ranges that are allocated but unwritten (fallocate'd, never written), from `filefrag -v`
 * (FIEMAP). lseek(SEEK_DATA), and so `qemu-img map`, shows them as holes, yet they take space
 * and a discard frees them. Pure.
 */
export function parseUnwrittenExtents(filefrag: string): ByteRange[] {
  const blockSize = Number(HEADER.exec(filefrag)?.[1]);
  if (!Number.isSafeInteger(blockSize) || blockSize <= 0) throw new Error("filefrag output has no block size");
  const out: ByteRange[] = [];
  for (const m of filefrag.matchAll(EXTENT)) {
    if (!/\bunwritten\b/.test(m[0])) continue;
    out.push({ start: Number(m[1]) * blockSize, end: (Number(m[2]) + 1) * blockSize });
  }
  return normalize(out);
}
