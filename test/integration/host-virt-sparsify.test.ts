import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { defaultBackendSettings, detectCapabilities } from "../../src/host/host-capabilities.js";
import { qemuImgCheck, qemuImgInfo } from "../../src/host/qemu-img.js";
import { SparsifyFailureCode } from "../../src/host/sparsify-diagnosis.js";
import { diagnoseRun } from "../../src/host/sparsify-failure-probe.js";
import { finish, initialProgress, reduceProgress, startMeasuring } from "../../src/host/sparsify-progress.js";
import type { SparsifyOutputEvent } from "../../src/host/virt-sparsify-output.js";
import { runVirtSparsify } from "../../src/host/virt-sparsify-runner.js";
import { e2fsckClean, holdImage, makeExt4Image, sha256InImage } from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { deadSockdirs, newDeadSockdirs } from "../support/sockdirs.js";
import { makeTempDir } from "../support/temp-dir.js";

const MiB = 1024 * 1024;
const tools = requireTools(
  "virt-sparsify",
  "qemu-img",
  "qemu-io",
  "qemu-system-x86_64",
  "qemu-storage-daemon",
  "mke2fs",
  "debugfs",
  "e2fsck",
);

/** /tmp/libguestfs* dirs whose owner is dead: what an unclean run leaves behind. */

describe.skipIf(!tools)("runVirtSparsify (real virt-sparsify, TCG on this host)", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let backendSettings: string | undefined;
  let deadBefore: string[];
  beforeAll(async () => void (backendSettings = defaultBackendSettings(await detectCapabilities())));
  beforeEach(async () => {
    dir = await makeTempDir("host-sparsify-");
    deadBefore = await deadSockdirs();
  });
  afterEach(async () => dir.remove());

  const expectCleanHost = async () => {
    // No per-run TMPDIR left under tmpRoot, and no new orphaned socket dir in /tmp.
    expect((await readdir(dir.path)).filter((n) => n.startsWith("sparsify-"))).toEqual([]);
    expect(await newDeadSockdirs(deadBefore)).toEqual([]);
  };

  it("sparsifies a 1 GiB qcow2 with 200 MiB deleted: trims /dev/sda, keeps data", async () => {
    const image = await makeExt4Image(join(dir.path, "disk.qcow2"), { format: "qcow2", deletedMiB: 200 });
    const before = await qemuImgInfo(image.path, "qcow2");
    const events: SparsifyOutputEvent[] = [];
    let progress = initialProgress;
    const result = await runVirtSparsify({
      path: image.path,
      format: "qcow2",
      timeoutMs: 120_000,
      backendSettings,
      tmpRoot: dir.path,
      onEvent: (e) => {
        events.push(e);
        progress = reduceProgress(progress, e);
      },
    });
    console.log(`[timing] real virt-sparsify run: ${(result.durationMs / 1000).toFixed(2)} s`, JSON.stringify(result));
    expect(result).toMatchObject({
      exitCode: 0,
      cancelled: false,
      timedOut: false,
      completed: true,
      trimmedDevices: ["/dev/sda"],
      swapCleared: [],
    });
    expect(result.errorMessage).toBeUndefined();
    expect(events.filter((e) => e.kind === "launch").length).toBeGreaterThan(0);
    expect(progress.progress).toBe(90);
    expect(finish(startMeasuring(progress)).progress).toBe(100);

    const after = await qemuImgInfo(image.path, "qcow2");
    console.log(`actual-size ${before.actualSize} → ${after.actualSize}`);
    expect(before.actualSize - after.actualSize).toBeGreaterThanOrEqual(190 * MiB);
    expect(after.apparentSize).toBe(before.apparentSize); // holes are punched, the file keeps its length
    expect(await sha256InImage(image.path, "qcow2", image.keptFile)).toBe(image.keepSha256);
    expect(await e2fsckClean(image.path, "qcow2")).toBe(true);
    expect(await diagnoseRun(result, image)).toBeNull();
    await expectCleanHost();
  }, 180_000);

  it("cancel ~2 s in: SIGTERM, non-zero exit, nothing left behind, image intact", async () => {
    const image = await makeExt4Image(join(dir.path, "disk.qcow2"), { format: "qcow2", deletedMiB: 200 });
    const before = await qemuImgInfo(image.path, "qcow2");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 2_000);
    const result = await runVirtSparsify({
      path: image.path,
      format: "qcow2",
      timeoutMs: 120_000,
      backendSettings,
      tmpRoot: dir.path,
      signal: controller.signal,
      killGraceMs: 15_000,
    });
    console.log(`[timing] cancelled run returned after ${(result.durationMs / 1000).toFixed(2)} s`, JSON.stringify(result));
    expect(result.cancelled).toBe(true);
    expect(result.exitCode).not.toBe(0);
    expect(result.completed).toBe(false);
    expect((await diagnoseRun(result, image))?.code).toBe(SparsifyFailureCode.CANCELLED);
    await expectCleanHost();
    // No qemu left holding the image: info without -U succeeds.
    const after = await qemuImgInfo(image.path, "qcow2");
    expect(after.actualSize).toBe(before.actualSize); // cancelled during launch: untouched
    const check = await qemuImgCheck(image.path);
    expect(check.corruptions ?? 0).toBe(0);
    expect(check.leaks ?? 0).toBe(0);
    expect(await sha256InImage(image.path, "qcow2", image.keptFile)).toBe(image.keepSha256);
  });

  it("fails fast on an image held by a VM and diagnoses IMAGE_IN_USE", async () => {
    const image = await makeExt4Image(join(dir.path, "held.raw"), { format: "raw", deletedMiB: 0 });
    const hold = await holdImage(image.path, "raw");
    try {
      const result = await runVirtSparsify({
        path: image.path,
        format: "raw",
        timeoutMs: 60_000,
        backendSettings,
        tmpRoot: dir.path,
      });
      expect(result.exitCode).toBe(1);
      expect(result.durationMs).toBeLessThan(5_000);
      expect(result.errorMessage).toMatch(/guestfs_launch failed/);
      expect((await diagnoseRun(result, image))?.code).toBe(SparsifyFailureCode.IMAGE_IN_USE);
    } finally {
      await hold.release();
    }
    await expectCleanHost();
  });

  it("fails fast on a missing file: IMAGE_NOT_FOUND", async () => {
    const image = { path: join(dir.path, "missing.qcow2"), format: "qcow2" as const };
    const result = await runVirtSparsify({ ...image, timeoutMs: 60_000, backendSettings, tmpRoot: dir.path });
    expect(result.exitCode).toBe(1);
    expect(result.errorMessage).toMatch(/No such file or directory/);
    expect((await diagnoseRun(result, image))?.code).toBe(SparsifyFailureCode.IMAGE_NOT_FOUND);
  });
});
