import { execa } from "execa";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectFallbackReason } from "../../src/domain/direct-method.js";
import { DirectVerifyMode } from "../../src/domain/direct-verify-mode.js";
import { DirectRefusal } from "../../src/host/direct/direct-contract.js";
import { directProver } from "../../src/host/direct/direct-prover.js";
import { runDirect } from "../../src/host/direct/run-direct.js";
import { defaultBackendSettings, detectCapabilities } from "../../src/host/host-capabilities.js";
import type { ImageFormat } from "../../src/host/image-format.js";
import { runVirtSparsify } from "../../src/host/virt-sparsify-runner.js";
import { actualSize, makeExtImage, makeJournalDirty, type ExtImageOptions } from "../support/direct-run-images.js";
import { makeGptImage, makeXfsImage } from "../support/estimate-images.js";
import { e2fsckClean, makeExt4Image, makeSnapshot, sha256File, sha256InImage } from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * DIRECT on a matrix of images, always with verify: FULL: every kept file's checksum identical,
 * fsck clean, space given back. Against virt-sparsify on an identical copy the size after is at
 * most virt-sparsify's plus 1 % of what it reclaimed: on 3 images by default (each virt-sparsify
 * run boots the appliance, ~15 s under TCG), on every image with DIRECT_MATRIX=full
 * (`npm run verify:direct`).
 */
const FULL_MATRIX = process.env.DIRECT_MATRIX === "full";
const MiB = 1024 * 1024;

interface Case {
  name: string;
  format: ImageFormat;
  /** Compared with virt-sparsify by default (not only in the full matrix). */
  compare: boolean;
  make: (path: string) => Promise<{ layers: { path: string; format: ImageFormat }[]; check: () => Promise<void> }>;
}

const ext = (opts: ExtImageOptions) => async (path: string) => {
  const img = await makeExtImage(path, opts);
  return {
    layers: [{ path: img.path, format: img.format }],
    check: async () => {
      expect(await sha256InImage(img.path, img.format, img.keptFile, img.fsOffset)).toBe(img.keepSha256);
      expect(await e2fsckClean(img.path, img.format, img.fsOffset)).toBe(true);
    },
  };
};

const CASES: Case[] = [
  { name: "ext2, raw, whole disk", format: "raw", compare: false, make: ext({ format: "raw", fsType: "ext2", layout: "plain" }) },
  { name: "ext3, qcow2, MBR", format: "qcow2", compare: false, make: ext({ format: "qcow2", fsType: "ext3", layout: "mbr" }) },
  {
    name: "ext4, qcow2, whole disk",
    format: "qcow2",
    compare: true,
    make: ext({ format: "qcow2", fsType: "ext4", layout: "plain" }),
  },
  { name: "ext4, raw, MBR", format: "raw", compare: true, make: ext({ format: "raw", fsType: "ext4", layout: "mbr" }) },
  {
    name: "GPT: vfat ESP + ext4 + swap, qcow2",
    format: "qcow2",
    compare: true,
    make: ext({ format: "qcow2", fsType: "ext4", layout: "gpt-esp", sizeMiB: 640 }),
  },
  {
    name: "XFS, qcow2, whole disk",
    format: "qcow2",
    compare: false,
    make: async (path) => ({
      layers: [{ path: await makeXfsImage(path, { format: "qcow2", garbageMiB: 100 }), format: "qcow2" }],
      check: async () => {},
    }),
  },
  {
    name: "GPT: ext4 + XFS + swap, raw",
    format: "raw",
    compare: false,
    make: async (path) => {
      const img = await makeGptImage(path, { format: "raw" });
      return {
        layers: [{ path: img.path, format: "raw" }],
        check: async () => expect(await e2fsckClean(img.path, "raw", img.ext4.start)).toBe(true),
      };
    },
  },
];

describe.runIf(
  requireTools(
    "qemu-storage-daemon",
    "qemu-io",
    "qemu-img",
    "e2fsck",
    "xfs_db",
    "xfs_logprint",
    "mkfs.xfs",
    "sfdisk",
    "mkswap",
    "mkfs.vfat",
    "virt-sparsify",
  ),
)("DIRECT on the image matrix (verify FULL)", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let backendSettings: string | undefined;
  beforeAll(async () => {
    dir = await makeTempDir("direct-matrix-");
    backendSettings = defaultBackendSettings(await detectCapabilities());
  });
  afterAll(() => dir?.remove());

  it.each(CASES.map((c, i) => ({ ...c, i })))(
    "$name",
    async ({ name, format, compare, make, i }) => {
      const path = join(dir.path, `case${i}.${format}`);
      const { layers, check } = await make(path);
      const copy = join(dir.path, `case${i}-copy.${format}`);
      const compared = compare || FULL_MATRIX;
      // Identical copies, holes included: both made by the same sparse copy (cp turns runs of
      // zeros into holes, so the original is re-made that way too before either run).
      if (compared) {
        await execa("cp", ["--sparse=always", path, `${path}.tmp`]);
        await execa("mv", [`${path}.tmp`, path]);
        await execa("cp", ["--sparse=always", path, copy]);
      }
      const before = await actualSize(path, format);
      const result = await runDirect({
        layers,
        prover: directProver,
        verify: DirectVerifyMode.FULL,
        signal: AbortSignal.timeout(180_000),
      });
      const after = await actualSize(path, format);
      await check();
      expect(result.discardedBytes).toBeGreaterThan(0);
      expect(before - after).toBeGreaterThan(50 * MiB);
      if (!compared) return;
      const vs = await runVirtSparsify({ path: copy, format, timeoutMs: 300_000, backendSettings });
      expect(vs.exitCode).toBe(0);
      const vsAfter = await actualSize(copy, format);
      console.log(
        `[direct-matrix] ${name}: before ${before}, DIRECT ${after} (${result.durationMs} ms), ` +
          `virt-sparsify ${vsAfter} (${vs.durationMs} ms)`,
      );
      expect(after).toBeLessThanOrEqual(vsAfter + 0.01 * (before - vsAfter));
    },
    400_000,
  );

  it("a disk with a snapshot: the leaf is discarded, the base stays byte-identical", async () => {
    const base = await makeExt4Image(join(dir.path, "snap-base.qcow2"), { format: "qcow2", deletedMiB: 0 });
    const top = await makeSnapshot("snap-base.qcow2", join(dir.path, "snap-top.qcow2"), { garbageMiB: 60 });
    const baseSha = await sha256File(base.path);
    const before = await actualSize(top.path, "qcow2");
    await runDirect({
      layers: [
        { path: top.path, format: "qcow2" },
        { path: base.path, format: "qcow2" },
      ],
      prover: directProver,
      verify: DirectVerifyMode.FULL,
      signal: AbortSignal.timeout(120_000),
    });
    expect(before - (await actualSize(top.path, "qcow2"))).toBeGreaterThan(50 * MiB);
    expect(await sha256File(base.path)).toBe(baseSha);
    expect(await sha256InImage(top.path, "qcow2", base.keptFile)).toBe(base.keepSha256);
    expect(await e2fsckClean(top.path, "qcow2")).toBe(true);
  }, 120_000);

  it("a dirty journal is refused before any discard (the job would fall back to virt-sparsify)", async () => {
    const img = await makeExtImage(join(dir.path, "dirty.raw"), { format: "raw", fsType: "ext4", layout: "mbr" });
    await makeJournalDirty(img.path, "raw", img.fsOffset);
    const sha = await sha256File(img.path);
    const error = await runDirect({
      layers: [{ path: img.path, format: "raw" }],
      prover: directProver,
      verify: DirectVerifyMode.FULL,
      signal: AbortSignal.timeout(60_000),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectRefusal);
    expect((error as DirectRefusal).reason).toBe(DirectFallbackReason.EXT_NOT_CLEAN);
    expect(await sha256File(img.path)).toBe(sha);
  }, 60_000);
});
