import { rename, symlink, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { expectedFormat } from "../../src/host/inspect/expected-format.js";
import { ImageRefusal } from "../../src/host/inspect/image-refusal.js";
import { inspectImage } from "../../src/host/inspect/inspect-image.js";
import { backingIsProtocol } from "../../src/host/inspect/inspect-bytes.js";
import { patchBytes, qemuImgCreate, u32, u64 } from "../support/inspector-images.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

type Make = (dir: string) => Promise<string>;

/** Builds an image with qemu-img, then gives it the name the row wants. */
const made =
  (format: string, options: string[], as: string, size = "64M"): Make =>
  async (dir) => {
    const path = await qemuImgCreate(dir, `src-${as}.${format}`, format, size, options);
    await rename(path, join(dir, as));
    return join(dir, as);
  };

/** A fresh qcow2 v3 (or v2 with compat=0.10) with some header bytes overwritten. */
const patched =
  (as: string, edits: [number, Buffer][], options: string[] = []): Make =>
  async (dir) => {
    const path = await made("qcow2", options, as)(dir);
    for (const [offset, bytes] of edits) await patchBytes(path, offset, bytes);
    return path;
  };

const rows: { name: string; make: Make; expect: string | null }[] = [
  { name: "plain qcow2 v3", make: made("qcow2", [], "ok.qcow2"), expect: null },
  { name: "qcow2 v2 (compat=0.10)", make: made("qcow2", ["-o", "compat=0.10"], "v2.qcow2"), expect: null },
  { name: "qcow2 with zstd compression", make: made("qcow2", ["-o", "compression_type=zstd"], "zstd.qcow2"), expect: null },
  { name: "qcow2 with extended L2 entries", make: made("qcow2", ["-o", "extended_l2=on"], "l2.qcow2"), expect: null },
  { name: "qcow2 with 2 MiB clusters", make: made("qcow2", ["-o", "cluster_size=2M"], "big.qcow2", "1G"), expect: null },
  { name: "qcow2 with lazy refcounts", make: made("qcow2", ["-o", "lazy_refcounts=on"], "lazy.qcow2"), expect: null },
  { name: "raw file of zeros", make: made("raw", [], "zero.raw"), expect: null },
  { name: ".img of zeros", make: made("raw", [], "zero.img"), expect: null },
  {
    name: "external data file, raw flag",
    make: async (dir) => made("qcow2", ["-o", `data_file=${join(dir, "outside.bin")},data_file_raw=on`], "df.qcow2")(dir),
    expect: "EXTERNAL_DATA_FILE",
  },
  {
    name: "external data file, no raw flag",
    make: async (dir) => made("qcow2", ["-o", `data_file=${join(dir, "outside2.bin")}`], "df2.qcow2")(dir),
    expect: "EXTERNAL_DATA_FILE",
  },
  {
    name: "external-data-file bit without the name extension",
    make: patched("dfbit.qcow2", [[72, u64(1n << 2n)]]),
    expect: "EXTERNAL_DATA_FILE",
  },
  {
    name: "LUKS-encrypted qcow2",
    make: made("qcow2", ["-o", "encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=50"], "enc.qcow2"),
    expect: "ENCRYPTED",
  },
  { name: "AES crypt_method forged", make: patched("aes.qcow2", [[32, u32(1)]]), expect: "ENCRYPTED" },
  { name: "unknown incompatible bit", make: patched("inc.qcow2", [[72, u64(1n << 9n)]]), expect: "UNKNOWN_FEATURES" },
  { name: "unknown compatible bit", make: patched("comp.qcow2", [[80, u64(1n << 5n)]]), expect: "UNKNOWN_FEATURES" },
  { name: "unknown autoclear bit", make: patched("auto.qcow2", [[88, u64(1n << 7n)]]), expect: "UNKNOWN_FEATURES" },
  {
    name: "unknown compression type",
    make: patched(
      "ct.qcow2",
      [
        [72, u64(1n << 3n)],
        [104, Buffer.from([7])],
      ],
      ["-o", "compression_type=zstd"],
    ),
    expect: "UNKNOWN_FEATURES",
  },
  {
    name: "compression type without its bit",
    make: patched(
      "ct2.qcow2",
      [
        [72, u64(0n)],
        [104, Buffer.from([1])],
      ],
      ["-o", "compression_type=zstd"],
    ),
    expect: "HEADER_INVALID",
  },
  { name: "raw external data flag alone", make: patched("rawflag.qcow2", [[88, u64(1n << 1n)]]), expect: "EXTERNAL_DATA_FILE" },
  {
    name: "backing file outside, format raw (header only)",
    make: made("qcow2", ["-u", "-b", "/outside/base.raw", "-F", "raw"], "ov.qcow2"),
    expect: null,
  },
  {
    name: "backing file via json: protocol",
    make: made("qcow2", ["-u", "-b", 'json:{"file.filename":"/etc/shadow"}', "-F", "raw"], "js.qcow2"),
    expect: "BACKING_OUTSIDE_CHAIN",
  },
  {
    name: "backing file via nbd: protocol",
    make: made("qcow2", ["-u", "-b", "nbd:127.0.0.1:10809", "-F", "raw"], "nbd.qcow2"),
    expect: "BACKING_OUTSIDE_CHAIN",
  },
  { name: "version 4", make: patched("v4.qcow2", [[4, u32(4)]]), expect: "FORMAT_MISMATCH" },
  { name: "cluster_bits 8", make: patched("cb8.qcow2", [[20, u32(8)]]), expect: "HEADER_INVALID" },
  { name: "cluster_bits 22", make: patched("cb22.qcow2", [[20, u32(22)]]), expect: "HEADER_INVALID" },
  { name: "huge l1_size", make: patched("l1.qcow2", [[36, u32(0x1000_0000)]]), expect: "HEADER_INVALID" },
  { name: "l1 too small for the size", make: patched("l1s.qcow2", [[24, u64(1n << 50n)]]), expect: "HEADER_INVALID" },
  { name: "l1 table past end of file", make: patched("l1o.qcow2", [[40, u64(1n << 40n)]]), expect: "HEADER_INVALID" },
  { name: "l1 table unaligned", make: patched("l1a.qcow2", [[40, u64(0x30008n)]]), expect: "HEADER_INVALID" },
  { name: "refcount table huge", make: patched("rt.qcow2", [[56, u32(0xffff_ffff)]]), expect: "HEADER_INVALID" },
  { name: "refcount table past end", make: patched("rto.qcow2", [[48, u64(1n << 45n)]]), expect: "HEADER_INVALID" },
  { name: "refcount_order 7", make: patched("ro.qcow2", [[96, u32(7)]]), expect: "HEADER_INVALID" },
  { name: "header_length not a multiple of 8", make: patched("hl.qcow2", [[100, u32(105)]]), expect: "HEADER_INVALID" },
  { name: "header_length beyond the cluster", make: patched("hl2.qcow2", [[100, u32(1 << 20)]]), expect: "HEADER_INVALID" },
  {
    name: "extension length past the cluster",
    make: patched("ext.qcow2", [[112 + 4, u32(0x7fff_ffff)]]),
    expect: "HEADER_INVALID",
  },
  {
    name: "backing name length 4096",
    make: async (dir) => {
      const p = await made("qcow2", ["-u", "-b", "base.raw", "-F", "raw"], "bl.qcow2")(dir);
      await patchBytes(p, 16, u32(4096));
      return p;
    },
    expect: "HEADER_INVALID",
  },
  {
    name: "backing name offset past the cluster",
    make: async (dir) => {
      const p = await made("qcow2", ["-u", "-b", "base.raw", "-F", "raw"], "bo.qcow2")(dir);
      await patchBytes(p, 8, u64(1n << 33n));
      return p;
    },
    expect: "HEADER_INVALID",
  },
  { name: "snapshots beyond qemu's limit", make: patched("sn.qcow2", [[60, u32(100_000)]]), expect: "HEADER_INVALID" },
  {
    name: "truncated header (50 bytes)",
    make: async (dir) => {
      const p = await made("qcow2", [], "tr.qcow2")(dir);
      await truncate(p, 50);
      return p;
    },
    expect: "HEADER_INVALID",
  },
  // Other formats named raw or qcow2.
  ...(["vmdk", "vpc", "vhdx", "vdi", "qed", "luks"] as const).flatMap((format) => [
    { name: `${format} named .raw`, make: made(format, [], `${format}.raw`, "16M"), expect: "FORMAT_MISMATCH" },
    { name: `${format} named .qcow2`, make: made(format, [], `${format}.qcow2`, "16M"), expect: "FORMAT_MISMATCH" },
  ]),
  {
    name: "fixed VHD (footer only) named .img",
    make: made("vpc", ["-o", "subformat=fixed"], "fixed.img", "16M"),
    expect: "FORMAT_MISMATCH",
  },
  {
    name: "VMDK text descriptor named .raw",
    make: made("vmdk", ["-o", "subformat=monolithicFlat"], "desc.raw", "16M"),
    expect: "FORMAT_MISMATCH",
  },
  { name: "qcow2 named .raw", make: made("qcow2", [], "q.raw"), expect: "FORMAT_MISMATCH" },
  { name: "qcow v1 named .qcow2", make: made("qcow", [], "v1.qcow2"), expect: "FORMAT_MISMATCH" },
  { name: "qcow v1 named .raw", make: made("qcow", [], "v1.raw"), expect: "FORMAT_MISMATCH" },
  { name: "raw zeros named .qcow2", make: made("raw", [], "zeros.qcow2"), expect: "FORMAT_MISMATCH" },
  {
    name: "empty .qcow2",
    make: async (dir) => {
      await writeFile(join(dir, "empty.qcow2"), "");
      return join(dir, "empty.qcow2");
    },
    expect: "FORMAT_MISMATCH",
  },
  {
    name: "FIFO named .raw",
    make: async (dir) => {
      await execa("mkfifo", [join(dir, "fifo.raw")]);
      return join(dir, "fifo.raw");
    },
    expect: "NOT_REGULAR_FILE",
  },
  {
    name: "symlink named .qcow2",
    make: async (dir) => {
      const t = await made("qcow2", [], "target.qcow2")(dir);
      await symlink(t, join(dir, "link.qcow2"));
      return join(dir, "link.qcow2");
    },
    expect: "NOT_REGULAR_FILE",
  },
  { name: "directory named .raw", make: async () => "/tmp", expect: "NOT_REGULAR_FILE" },
];

describe.skipIf(!requireTools("qemu-img"))("image inspector over crafted headers", () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    dir = await makeTempDir("inspector-");
  });
  afterAll(() => dir.remove());

  it.each(rows)("$name → $expect", async ({ make, expect: code }) => {
    const path = await make(dir.path);
    const format = expectedFormat(path.endsWith("/tmp") ? "x.raw" : path)!;
    const outcome = await inspectImage(path, format).then(
      () => null,
      (error: unknown) => {
        expect(error).toBeInstanceOf(ImageRefusal);
        return (error as ImageRefusal).code;
      },
    );
    expect(outcome).toBe(code);
  });

  it("reports the backing file and its format as the header names them", async () => {
    const path = await made("qcow2", ["-u", "-b", "/outside/base.raw", "-F", "raw"], "bk.qcow2")(dir.path);
    const found = await inspectImage(path, "qcow2");
    expect(found.backing).toEqual({ name: "/outside/base.raw", format: "raw" });
    expect(found.virtualSize).toBe(64n * 1024n * 1024n);
  });

  it("names the data file and its raw flag in the message", async () => {
    const path = await made("qcow2", ["-o", `data_file=${join(dir.path, "named.bin")},data_file_raw=on`], "msg.qcow2")(dir.path);
    await expect(inspectImage(path, "qcow2")).rejects.toThrow(/external file \(raw\) named ".*named\.bin"/);
  });
});

describe("format rules for file names", () => {
  it.each([
    ["a.qcow2", undefined, "qcow2"],
    ["a.QCOW2", undefined, "qcow2"],
    ["a.raw", undefined, "raw"],
    ["a.img", undefined, "raw"],
    ["a.img", null, "raw"],
    ["a.img", "qcow2", "qcow2"],
    ["a.img", "raw", "raw"],
    ["a.img", "vmdk", null],
    ["a.vmdk", undefined, null],
    ["a.raw", "qcow2", "raw"],
  ] as const)("%s with libvirt driver %s → %s", (file, driver, format) => {
    expect(expectedFormat(file, driver)).toBe(format);
  });

  it.each([
    ["base.raw", false],
    ["/abs/base.raw", false],
    ["./a:b.raw", false],
    ["json:{}", true],
    ["nbd:host:1", true],
    ["file:/etc/passwd", true],
    ["a:b/c", true],
  ] as const)("backing name %s is a protocol: %s", (name, yes) => {
    expect(backingIsProtocol(name)).toBe(yes);
  });
});
