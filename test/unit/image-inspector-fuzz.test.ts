import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ByteSource } from "../../src/host/inspect/byte-source.js";
import { TAIL_BYTES } from "../../src/host/inspect/format-magic.js";
import { ImageRefusal } from "../../src/host/inspect/image-refusal.js";
import { HEAD_BYTES, inspectSource } from "../../src/host/inspect/inspect-image.js";
import { INSPECTION_CODES } from "../../src/host/inspect/inspection-code.js";
import { qemuImgCreate } from "../support/inspector-images.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

/** mulberry32: a tiny deterministic PRNG, so a failing case can be replayed from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 0x5eed_1234;
const CASES = 12_000;
/** Offsets of every qcow2 header field and of the first extensions: where mutations hurt most. */
const FIELD_OFFSETS = [
  4, 8, 16, 20, 24, 32, 36, 40, 48, 56, 60, 64, 72, 80, 88, 96, 100, 104, 112, 116, 120, 124, 128, 132, 136, 140,
];
const INTERESTING = [
  0n,
  1n,
  2n,
  7n,
  8n,
  9n,
  21n,
  22n,
  63n,
  64n,
  104n,
  112n,
  511n,
  512n,
  1023n,
  1024n,
  65535n,
  65536n,
  0x7fffffffn,
  0xffffffffn,
  1n << 32n,
  1n << 40n,
  1n << 61n,
  (1n << 63n) - 1n,
  (1n << 64n) - 1n,
];
const MAGICS = ["QFI\xfb", "QED\0", "KDMV", "conectix", "vhdxfile", "LUKS\xba\xbe", "# Disk DescriptorFile", "koly", "COWD"].map(
  (m) => Buffer.from(m, "latin1"),
);

/** A file seen through the bounds the inspector promises: the first HEAD_BYTES and the last TAIL_BYTES. */
function boundedSource(bytes: Buffer, size: number, reads: { offset: number; length: number }[]): ByteSource {
  return {
    size,
    read: async (offset, length) => {
      reads.push({ offset, length });
      const inHead = offset >= 0 && offset + length <= Math.min(HEAD_BYTES, size);
      const inTail = offset >= Math.max(0, size - TAIL_BYTES) && offset + length <= size;
      if (!inHead && !inTail) throw new Error(`read past the bound: offset ${offset}, length ${length}, size ${size}`);
      const out = Buffer.alloc(length);
      if (offset < bytes.length) bytes.copy(out, 0, offset, Math.min(bytes.length, offset + length));
      return out;
    },
  };
}

function mutate(base: Buffer, rnd: () => number): { bytes: Buffer; size: number } {
  const bytes = Buffer.from(base);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  const edits = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < edits; i++) {
    const kind = rnd();
    if (kind < 0.35) {
      const at = pick(FIELD_OFFSETS);
      const value = pick(INTERESTING) & (rnd() < 0.5 ? 0xffffffffn : (1n << 64n) - 1n);
      if (rnd() < 0.5) bytes.writeUInt32BE(Number(value & 0xffffffffn), at);
      else bytes.writeBigUInt64BE(value, at);
    } else if (kind < 0.6) {
      for (let n = 1 + Math.floor(rnd() * 16); n > 0; n--)
        bytes[Math.floor(rnd() * Math.min(bytes.length, 4096))] = Math.floor(rnd() * 256);
    } else if (kind < 0.7) {
      bytes[Math.floor(rnd() * bytes.length)]! ^= 1 << Math.floor(rnd() * 8);
    } else if (kind < 0.8) {
      pick(MAGICS).copy(bytes, rnd() < 0.8 ? 0 : Math.max(0, bytes.length - TAIL_BYTES));
    } else if (kind < 0.9) {
      // a random extension record right after the header
      const at = pick([72, 104, 112, 120]);
      bytes.writeUInt32BE(pick([0xe2792aca, 0x6803f857, 0x23852875, 0x0537be77, 0x44415441, Math.floor(rnd() * 2 ** 32)]), at);
      bytes.writeUInt32BE(Number(pick(INTERESTING) & 0xffffffffn), at + 4);
    } else {
      return { bytes: bytes.subarray(0, Math.floor(rnd() * Math.min(bytes.length, 600))), size: Math.floor(rnd() * 600) };
    }
  }
  // Sometimes the file claims to be far larger than what is there (a sparse 16 TiB file).
  const size = rnd() < 0.1 ? 16 * 2 ** 40 : bytes.length;
  return { bytes, size };
}

describe.skipIf(!requireTools("qemu-img"))("image inspector fuzz", () => {
  let dir: { path: string; remove: () => Promise<void> };
  const bases: Buffer[] = [];
  beforeAll(async () => {
    dir = await makeTempDir("inspector-fuzz-");
    const made = [
      await qemuImgCreate(dir.path, "v3.qcow2", "qcow2", "1G"),
      await qemuImgCreate(dir.path, "v2.qcow2", "qcow2", "1G", ["-o", "compat=0.10"]),
      await qemuImgCreate(dir.path, "bk.qcow2", "qcow2", "1G", ["-u", "-b", "base.raw", "-F", "raw"]),
      await qemuImgCreate(dir.path, "df.qcow2", "qcow2", "1G", ["-o", `data_file=${join(dir.path, "df.bin")},data_file_raw=on`]),
      await qemuImgCreate(dir.path, "z.qcow2", "qcow2", "1G", ["-o", "compression_type=zstd,extended_l2=on,lazy_refcounts=on"]),
      await qemuImgCreate(dir.path, "x.vmdk", "vmdk", "16M"),
      await qemuImgCreate(dir.path, "x.vpc", "vpc", "16M"),
    ];
    for (const path of made) {
      const all = await readFile(path);
      bases.push(all.subarray(0, Math.min(all.length, HEAD_BYTES + 4096)));
    }
  });
  afterAll(() => dir.remove());

  it(`${CASES} mutated headers: typed refusals only, bounded reads, no hang (seed ${SEED.toString(16)})`, async () => {
    const rnd = prng(SEED);
    const codes = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const { bytes, size } = mutate(bases[i % bases.length]!, rnd);
      const reads: { offset: number; length: number }[] = [];
      const started = performance.now();
      for (const expected of ["qcow2", "raw"] as const) {
        let code = "ACCEPTED";
        try {
          await inspectSource(boundedSource(bytes, size, reads), expected);
        } catch (error) {
          if (!(error instanceof ImageRefusal)) throw new Error(`case ${i} (${expected}) threw an untyped ${String(error)}`);
          expect(INSPECTION_CODES).toContain(error.code);
          expect(error.message.length).toBeGreaterThan(10);
          code = error.code;
        }
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      // Two reads per inspection (head and tail), each within the bound (checked by the source).
      expect(reads.length).toBe(4);
      expect(performance.now() - started).toBeLessThan(1_000);
    }
    // The mutations reach every path that matters, not just the first check.
    for (const code of ["HEADER_INVALID", "FORMAT_MISMATCH", "UNKNOWN_FEATURES", "EXTERNAL_DATA_FILE", "ENCRYPTED", "ACCEPTED"])
      expect(codes.get(code) ?? 0).toBeGreaterThan(0);
  });
});
