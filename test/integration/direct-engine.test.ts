import { readdirSync, readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectFallbackReason } from "../../src/domain/direct-method.js";
import { DirectVerifyMode } from "../../src/domain/direct-verify-mode.js";
import { DirectRefusal } from "../../src/host/direct/direct-contract.js";
import { directProver } from "../../src/host/direct/direct-prover.js";
import { DirectVerificationError, runDirect, type DirectProver } from "../../src/host/direct/run-direct.js";
import { ImageProbeError } from "../../src/host/image-probe-error.js";
import { actualSize, firstInodeTable, makeJournalDirty } from "../support/direct-run-images.js";
import { makeGptImage } from "../support/estimate-images.js";
import { e2fsckClean, holdImage, makeExt4Image, sha256InImage } from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

const MiB = 1024 * 1024;
const run = (path: string, format: "raw" | "qcow2", prover: DirectProver = directProver, verify = DirectVerifyMode.FULL) =>
  runDirect({ layers: [{ path, format }], prover, verify, signal: AbortSignal.timeout(120_000) });

describe.skipIf(
  !requireTools("qemu-storage-daemon", "qemu-io", "qemu-img", "e2fsck", "xfs_db", "xfs_logprint", "sfdisk", "mkswap", "losetup"),
)("the DIRECT engine on real images", () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    dir = await makeTempDir("direct-engine-");
  });
  afterAll(() => dir?.remove());

  it.each(["qcow2", "raw"] as const)(
    "ext4 %s, 200 MiB deleted: the free space comes back, the kept file and fsck are intact (verify FULL)",
    async (format) => {
      const img = await makeExt4Image(join(dir.path, `ext4.${format}`), { format, deletedMiB: 200 });
      const before = await actualSize(img.path, format);
      const phases: string[] = [];
      const result = await runDirect({
        layers: [{ path: img.path, format }],
        prover: directProver,
        verify: DirectVerifyMode.FULL,
        signal: AbortSignal.timeout(120_000),
        onPhase: (p) => phases.push(p),
      });
      const after = await actualSize(img.path, format);
      expect(phases).toEqual(["READING", "DISCARDING", "VERIFYING"]);
      expect(result.discardedBytes).toBeGreaterThan(200 * MiB);
      expect(before - after).toBeGreaterThan(195 * MiB);
      expect(await sha256InImage(img.path, format, img.keptFile)).toBe(img.keepSha256);
      expect(await e2fsckClean(img.path, format)).toBe(true);
    },
  );

  it("GPT with ext4, XFS and swap (raw): every filesystem discarded and checked, gaps skipped", async () => {
    const img = await makeGptImage(join(dir.path, "gpt.raw"), { format: "raw" });
    const before = await actualSize(img.path, "raw");
    // The real prover, counted: the partitions are proven (and proven again after) side by side.
    let inFlight = 0;
    let most = 0;
    const writable: string[] = [];
    const counted: DirectProver = {
      plan: directProver.plan,
      prove: async (view, signal) => {
        most = Math.max(most, ++inFlight);
        // Every window the readers and checks get only reads (no scratch overlay to write into).
        const wrote = await open(view.path, "r+")
          .then((fd) => fd.write(Buffer.alloc(16), 0, 16, 0).finally(() => fd.close()))
          .then(
            () => true,
            () => false,
          );
        if (wrote) writable.push(`${view.kind} ${view.path}`);
        try {
          return await directProver.prove(view, signal);
        } finally {
          inFlight--;
        }
      },
    };
    const result = await run(img.path, "raw", counted);
    expect(most).toBe(3);
    expect(writable).toEqual([]);
    expect(result.parts.map((p) => p.kind)).toEqual(["ext", "xfs", "swap"]);
    expect(before - (await actualSize(img.path, "raw"))).toBeGreaterThan(300 * MiB);
    expect(result.skipped.every((s) => s.found === "gap")).toBe(true);
    expect(await e2fsckClean(img.path, "raw", img.ext4.start)).toBe(true);
  });

  it("the daemon holding the lock may use an hour of CPU (a whole-disk check outlives a probe's limit)", async () => {
    const img = await makeExt4Image(join(dir.path, "limits.raw"), { format: "raw", deletedMiB: 10 });
    let cpuLimit: string | undefined;
    await runDirect({
      layers: [{ path: img.path, format: "raw" }],
      prover: directProver,
      verify: DirectVerifyMode.STANDARD,
      signal: AbortSignal.timeout(60_000),
      onDiscardProgress: () => {
        for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
          const cmdline = (() => {
            try {
              return readFileSync(`/proc/${pid}/cmdline`, "utf8");
            } catch {
              return "";
            }
          })();
          // prlimit and setpriv exec the daemon: one pid, whose command line is the daemon's.
          if (!cmdline.split("\0")[0]!.endsWith("qemu-storage-daemon") || !cmdline.includes(img.path)) continue;
          cpuLimit = /^Max cpu time\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, "utf8"))?.[1];
        }
      },
    });
    expect(cpuLimit).toBe("3600");
  });

  it("a dirty journal is refused before anything is discarded (EXT_NOT_CLEAN), the image untouched", async () => {
    const img = await makeExt4Image(join(dir.path, "dirty.qcow2"), { format: "qcow2", deletedMiB: 50 });
    await makeJournalDirty(img.path, "qcow2");
    const before = await actualSize(img.path, "qcow2");
    const error = await run(img.path, "qcow2").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectRefusal);
    expect((error as DirectRefusal).reason).toBe(DirectFallbackReason.EXT_NOT_CLEAN);
    expect(await actualSize(img.path, "qcow2")).toBe(before);
  });

  it("an image a VM holds is IMAGE_IN_USE: the daemon cannot take the write lock", async () => {
    const img = await makeExt4Image(join(dir.path, "held.qcow2"), { format: "qcow2", deletedMiB: 10 });
    const hold = await holdImage(img.path, "qcow2");
    try {
      const error = await run(img.path, "qcow2").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageProbeError);
      expect((error as ImageProbeError).code).toBe("IMAGE_IN_USE");
    } finally {
      await hold.release();
    }
  });

  it("an image attached to a loop device is refused before the daemon opens it (LOOP_DEVICE_ATTACHED)", async () => {
    const img = await makeExt4Image(join(dir.path, "looped.raw"), { format: "raw", deletedMiB: 10 });
    const before = await actualSize(img.path, "raw");
    const { stdout: loop } = await execa("losetup", ["--find", "--show", "--read-only", img.path]);
    try {
      const error = await run(img.path, "raw").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DirectRefusal);
      expect((error as DirectRefusal).reason).toBe(DirectFallbackReason.LOOP_DEVICE_ATTACHED);
      expect((error as Error).message).toContain(loop.replace("/dev/", ""));
    } finally {
      await execa("losetup", ["--detach", loop]);
    }
    expect(await actualSize(img.path, "raw")).toBe(before);
  });

  it("stopped after its first discards, the run still verifies before releasing the lock (and catches a damaged filesystem)", async () => {
    const img = await makeExt4Image(join(dir.path, "cancelled.raw"), { format: "raw", deletedMiB: 20 });
    const table = await firstInodeTable(img.path, "raw");
    const wrong: DirectProver = {
      plan: directProver.plan,
      prove: async (view, signal) => {
        const proven = await directProver.prove(view, signal);
        return { ...proven, ranges: [...proven.ranges, table].sort((a, b) => a.start - b.start) };
      },
    };
    const stop = new AbortController();
    const sent: number[] = [];
    const error = await runDirect({
      layers: [{ path: img.path, format: "raw" }],
      prover: wrong,
      verify: DirectVerifyMode.STANDARD,
      signal: stop.signal,
      // One range per qemu-io; stop after the first batches, as a cancel would.
      discardBatch: 1,
      onDiscardProgress: (n) => {
        sent.push(n);
        if (n === 3) stop.abort();
      },
    }).catch((e: unknown) => e);
    expect(sent).toEqual([1, 2, 3]);
    expect(error).toBeInstanceOf(DirectVerificationError);
    expect((error as Error).message).toMatch(/e2fsck/);
  });

  it("stopped after its first discards of a correct proof: verified clean, the stop is what is reported", async () => {
    const img = await makeExt4Image(join(dir.path, "cancelled-ok.raw"), { format: "raw", deletedMiB: 20 });
    const stop = new AbortController();
    const error = await runDirect({
      layers: [{ path: img.path, format: "raw" }],
      prover: directProver,
      verify: DirectVerifyMode.FULL,
      signal: stop.signal,
      discardBatch: 1,
      onDiscardProgress: (n) => n === 2 && stop.abort(),
    }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(DirectVerificationError);
    expect(stop.signal.aborted).toBe(true);
    expect(await e2fsckClean(img.path, "raw")).toBe(true);
    expect(await sha256InImage(img.path, "raw", img.keptFile)).toBe(img.keepSha256);
  });

  it("a proof that wrongly calls the inode table free is caught by the verification (e2fsck -n)", async () => {
    const img = await makeExt4Image(join(dir.path, "bad-proof.raw"), { format: "raw", deletedMiB: 20 });
    const table = await firstInodeTable(img.path, "raw");
    // Fault injection: the real proof plus the first inode table, as a buggy reader would say.
    const wrong: DirectProver = {
      plan: directProver.plan,
      prove: async (view, signal) => {
        const proven = await directProver.prove(view, signal);
        return { ...proven, ranges: [...proven.ranges, table].sort((a, b) => a.start - b.start) };
      },
    };
    const error = await run(img.path, "raw", wrong, DirectVerifyMode.STANDARD).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectVerificationError);
    expect((error as Error).message).toMatch(/e2fsck/);
  });
});
