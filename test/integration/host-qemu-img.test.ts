import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { execa } from "execa";
import { detectCapabilities } from "../../src/host/host-capabilities.js";
import { ImageErrorCode, ImageProbeError } from "../../src/host/image-probe-error.js";
import { qemuImgCheck, qemuImgInfo } from "../../src/host/qemu-img.js";
import { probeImageAccess } from "../../src/host/sparsify-failure-probe.js";
import { holdImage, makeExt4Image, makeNoFilesystemImage, type Ext4Image } from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

const MiB = 1024 * 1024;
const tools = requireTools("qemu-img", "qemu-io", "qemu-system-x86_64", "mke2fs", "debugfs");

async function probeError(p: Promise<unknown>): Promise<ImageProbeError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageProbeError);
  return error as ImageProbeError;
}

describe.skipIf(!tools)("qemu-img wrappers on real images", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let qcow2: Ext4Image;
  let raw: Ext4Image;
  beforeAll(async () => {
    dir = await makeTempDir("host-qemu-img-");
    [qcow2, raw] = await Promise.all([
      makeExt4Image(join(dir.path, "d.qcow2"), { format: "qcow2", deletedMiB: 20 }),
      makeExt4Image(join(dir.path, "d.raw"), { format: "raw", deletedMiB: 20 }),
    ]);
  });
  afterAll(async () => dir?.remove());

  it("qemuImgInfo qcow2 and raw", async () => {
    const q = await qemuImgInfo(qcow2.path, "qcow2");
    expect(q).toMatchObject({ format: "qcow2", virtualSize: 1024 * MiB, clusterSize: 65536, dirty: false, corrupt: false });
    expect(q.actualSize).toBeGreaterThan(20 * MiB);
    expect(q.apparentSize).toBeGreaterThanOrEqual(q.actualSize - MiB);
    const r = await qemuImgInfo(raw.path, "raw");
    expect(r).toMatchObject({ format: "raw", virtualSize: 1024 * MiB, apparentSize: 1024 * MiB });
    expect(r.clusterSize).toBeUndefined();
  });

  it("a relative path or one starting with '-' is not taken for an option", async () => {
    await execa("cp", ["--sparse=always", raw.path, join(dir.path, "-f")]);
    const info = await qemuImgInfo(join(dir.path, "-f"), "raw");
    expect(info.virtualSize).toBe(1024 * MiB);
  });

  it("qemuImgCheck counts clusters; raw is WRONG_FORMAT", async () => {
    const check = await qemuImgCheck(qcow2.path);
    expect(check.totalClusters).toBe(16384);
    expect(check.allocatedClusters).toBeGreaterThan(300);
    expect(check.corruptions).toBeUndefined();
    expect((await probeError(qemuImgCheck(raw.path))).code).toBe(ImageErrorCode.WRONG_FORMAT);
  });

  it("error codes: not found, wrong format", async () => {
    const missing = await probeError(qemuImgInfo(join(dir.path, "nope.qcow2"), "qcow2"));
    expect(missing.code).toBe(ImageErrorCode.IMAGE_NOT_FOUND);
    expect(missing.message).toMatch(/No such file or directory/);
    expect((await probeError(qemuImgInfo(raw.path, "qcow2"))).code).toBe(ImageErrorCode.WRONG_FORMAT);
    const random = join(dir.path, "random.bin");
    await makeNoFilesystemImage(random, { kind: "random", sizeMiB: 1 });
    expect((await probeError(qemuImgCheck(random))).code).toBe(ImageErrorCode.WRONG_FORMAT);
  });

  it("a qcow2 held by a VM: IMAGE_IN_USE without -U, readable with -U", async () => {
    const hold = await holdImage(qcow2.path, "qcow2");
    try {
      const error = await probeError(qemuImgInfo(qcow2.path, "qcow2"));
      expect(error.code).toBe(ImageErrorCode.IMAGE_IN_USE);
      expect(error.message).toMatch(/Failed to get shared "write" lock/);
      expect((await qemuImgInfo(qcow2.path, "qcow2", { shared: true })).format).toBe("qcow2");
      expect((await probeImageAccess(qcow2.path, "qcow2")).infoError).toBe(ImageErrorCode.IMAGE_IN_USE);
    } finally {
      await hold.release();
    }
    expect(await probeImageAccess(qcow2.path, "qcow2")).toEqual({});
  });

  it("a raw image held by a VM: qemu-img info does NOT notice, the write-lock probe does", async () => {
    const hold = await holdImage(raw.path, "raw");
    try {
      await expect(qemuImgInfo(raw.path, "raw")).resolves.toMatchObject({ format: "raw" });
      const probe = await probeImageAccess(raw.path, "raw");
      expect(probe.infoError).toBe(ImageErrorCode.IMAGE_IN_USE);
    } finally {
      await hold.release();
    }
    expect(await probeImageAccess(raw.path, "raw")).toEqual({});
  });

  it("an immutable image (chattr +i) is not writable: EPERM", async (ctx) => {
    const set = await execa("chattr", ["+i", raw.path], { reject: false });
    if (set.exitCode !== 0) return ctx.skip(); // filesystem without attribute support
    try {
      expect((await probeImageAccess(raw.path, "raw")).writeError).toBe("EPERM");
    } finally {
      await execa("chattr", ["-i", raw.path]);
    }
  });

  it("detectCapabilities is cheap and self-consistent", async () => {
    const t0 = performance.now();
    const caps = await detectCapabilities();
    console.log(`[timing] detectCapabilities: ${(performance.now() - t0).toFixed(0)} ms`, caps);
    expect(caps.qemuImgVersion).toMatch(/^\d+\.\d+/);
    expect(caps.accel).toBe(caps.kvmUsable ? "KVM" : "TCG");
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
