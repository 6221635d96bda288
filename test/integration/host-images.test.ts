import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { execa } from "execa";
import { qemuImgCheck, qemuImgInfo } from "../../src/host/qemu-img.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";
import {
  e2fsckClean,
  holdImage,
  makeExt4Image,
  makeNoFilesystemImage,
  makePreallocatedQcow2,
  makeRawWithQcow2Header,
  makeSnapshot,
  makeTemplateWithClones,
  sha256File,
  sha256InImage,
} from "../support/images.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const tools = requireTools(
  "qemu-img",
  "qemu-io",
  "qemu-storage-daemon",
  "qemu-system-x86_64",
  "mke2fs",
  "debugfs",
  "sfdisk",
  "e2fsck",
  "dumpe2fs",
);

/** Logs how long each builder takes; the report quotes these. */
async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    console.log(`[timing] ${label}: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }
}

describe.skipIf(!tools)("test image builders", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  beforeEach(async () => void (dir = await makeTempDir("host-images-")));
  afterEach(async () => dir.remove());

  it.each([
    ["qcow2", "plain"],
    ["raw", "plain"],
    ["qcow2", "part"],
    ["raw", "part"],
  ] as const)("makeExt4Image %s/%s: deleted data allocated, kept file intact, fs clean", async (format, layout) => {
    const path = join(dir.path, `disk.${format}`);
    const image = await timed(`makeExt4Image ${format}/${layout}`, () => makeExt4Image(path, { format, layout }));
    const info = await qemuImgInfo(path, format);
    expect(info.virtualSize).toBe(GiB);
    // 200 MiB deleted + ~1 MiB kept + metadata (+ the 32 MiB journal written as zeros in raw).
    expect(info.actualSize).toBeGreaterThan(200 * MiB);
    expect(info.actualSize).toBeLessThan(260 * MiB);
    expect(image.fsOffset).toBe(layout === "part" ? MiB : 0);
    expect(await sha256InImage(path, format, image.keptFile, image.fsOffset)).toBe(image.keepSha256);
    expect(await e2fsckClean(path, format, image.fsOffset)).toBe(true);
  });

  it("makeSnapshot: overlay with -F; garbage lands in the leaf only, in free blocks", async () => {
    const base = await makeExt4Image(join(dir.path, "base.qcow2"), { format: "qcow2", deletedMiB: 0 });
    const baseSha = await sha256File(base.path);
    const top = await timed("makeSnapshot +200 MiB garbage", () =>
      makeSnapshot("base.qcow2", join(dir.path, "top.qcow2"), { garbageMiB: 200 }),
    );
    const info = await qemuImgInfo(top.path, "qcow2");
    expect(info.backingFilename).toBe("base.qcow2");
    expect(info.fullBackingFilename).toBe(base.path);
    expect(info.backingFormat).toBe("qcow2");
    expect(info.actualSize).toBeGreaterThan(200 * MiB);
    expect(await sha256File(base.path)).toBe(baseSha);
    // Free blocks hold the garbage, so the guest filesystem is still consistent.
    expect(await e2fsckClean(top.path, "qcow2")).toBe(true);
    expect(await sha256InImage(top.path, "qcow2", base.keptFile)).toBe(base.keepSha256);
  });

  it("makeTemplateWithClones: two clones backed by the template (relative name)", async () => {
    const { template, clones } = await timed("makeTemplateWithClones", () => makeTemplateWithClones(dir.path));
    expect(clones).toHaveLength(2);
    for (const clone of clones) {
      const info = await qemuImgInfo(clone, "qcow2");
      expect(info.backingFilename).toBe("template.qcow2");
      expect(info.fullBackingFilename).toBe(template.path);
      expect(info.actualSize).toBeLessThan(1 * MiB);
    }
  });

  it("makePreallocatedQcow2: every cluster allocated, apparent size = virtual size", async () => {
    const path = join(dir.path, "prealloc.qcow2");
    await timed("makePreallocatedQcow2", () => makePreallocatedQcow2(path));
    const check = await qemuImgCheck(path);
    expect(check.allocatedClusters).toBe(check.totalClusters);
    const info = await qemuImgInfo(path, "qcow2");
    expect(info.apparentSize).toBeGreaterThanOrEqual(GiB);
    expect(info.actualSize).toBeLessThan(260 * MiB);
  });

  it("makeRawWithQcow2Header: harmless as raw, a backing-file trap when probed as qcow2", async () => {
    const path = join(dir.path, "evil.raw");
    await timed("makeRawWithQcow2Header", () => makeRawWithQcow2Header(path));
    const asRaw = await qemuImgInfo(path, "raw");
    expect(asRaw.format).toBe("raw");
    expect(asRaw.backingFilename).toBeUndefined();
    // qemu rounds a raw file's size up to whole 512-byte sectors.
    expect(asRaw.virtualSize).toBe(Math.ceil(asRaw.apparentSize / 512) * 512);
    const asQcow2 = await qemuImgInfo(path, "qcow2");
    expect(asQcow2.fullBackingFilename).toBe("/etc/hostname");
  });

  it.each(["random", "zeros"] as const)("makeNoFilesystemImage %s", async (kind) => {
    const path = join(dir.path, `nofs-${kind}.raw`);
    await timed(`makeNoFilesystemImage ${kind}`, () => makeNoFilesystemImage(path, { kind, sizeMiB: 10 }));
    const info = await qemuImgInfo(path, "raw");
    expect(info.virtualSize).toBe(10 * MiB);
    expect(info.actualSize).toBe(kind === "random" ? 10 * MiB : 0);
    const fs = await execa("blkid", ["-p", path], { reject: false });
    expect(fs.exitCode).not.toBe(0); // nothing recognisable
  });

  it.each(["qcow2", "raw"] as const)("holdImage %s: takes the write lock like a VM, release frees it", async (format) => {
    const path = join(dir.path, `held.${format}`);
    await makeExt4Image(path, { format, deletedMiB: 0 });
    const hold = await timed(`holdImage ${format}`, () => holdImage(path, format));
    try {
      const probe = await execa("qemu-io", ["-f", format, "-c", "quit", path], { reject: false });
      expect(probe.stderr, JSON.stringify({ rc: probe.exitCode, out: probe.stdout, hold: hold.pid })).toMatch(
        /Failed to get "write" lock/,
      );
    } finally {
      await hold.release();
    }
    const after = await execa("qemu-io", ["-f", format, "-c", "quit", path], { reject: false });
    expect(after.exitCode).toBe(0);
  });
});
