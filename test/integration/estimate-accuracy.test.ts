/**
 * estimateReclaimable against real virt-sparsify: every image is estimated (and must stay byte-
 * for-byte and mtime identical), then sparsified for real, and the estimate must be within
 * max(5 %, 8 MiB) of what virt-sparsify gave back. 6 real runs (~20 s each), two at a time: the
 * whole-disk case estimates the chain's base alone and is held to that base's run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmod, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import {
  EstimateUnavailableError,
  estimateReclaimable,
  type ReclaimEstimate,
} from "../../src/host/estimate/estimate-reclaimable.js";
import type { ImageFormat } from "../../src/host/image-format.js";
import { processTree } from "../../src/host/process-tree.js";
import { qemuImgInfo } from "../../src/host/qemu-img.js";
import { runVirtSparsify } from "../../src/host/virt-sparsify-runner.js";
import { makeGptImage, makeMbrExt4PlusImage, makeXfsImage } from "../support/estimate-images.js";
import { holdImage, makeExt4Image, makeNoFilesystemImage, makeSnapshot, sha256File } from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

const MiB = 1024 * 1024;
const tools = requireTools(
  "virt-sparsify",
  "qemu-img",
  "qemu-io",
  "qemu-storage-daemon",
  "qemu-system-x86_64",
  "fusermount3",
  "mke2fs",
  "debugfs",
  "dumpe2fs",
  "sfdisk",
  "mkswap",
  "setpriv",
  "filefrag",
  "mkfs.xfs",
  "xfs_db",
);

type Volume = { path: string; format: ImageFormat };
/** What one real run is compared with: a volume to sparsify and the estimate's number for it. */
interface Check {
  label: string;
  volume: Volume;
  predicted: (e: ReclaimEstimate) => number;
}
interface Case {
  name: string;
  volumes: Volume[];
  /** Run in this order (a chain's leaf before its base). A volume shared by two cases runs once. */
  checks: Check[];
  extra?: (e: ReclaimEstimate) => void;
}
interface Outcome {
  estimate: ReclaimEstimate;
  fingerprintsBefore: string[];
  fingerprintsAfter: string[];
}

const tolerance = (actual: number) => Math.max(0.05 * Math.abs(actual), 8 * MiB);
const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

/** sha256 and mtime (ns) of a file: the estimate must leave both as they were. */
async function fingerprint(path: string): Promise<string> {
  const { mtimeNs, size } = await stat(path, { bigint: true });
  return `${await sha256File(path)} ${mtimeNs} ${size}`;
}

const actualSize = async (v: Volume) => (await qemuImgInfo(v.path, v.format, { shared: true })).actualSize;

/** Runs `jobs` at most `limit` at a time (real virt-sparsify: ~600 MB and a core each). */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

describe.skipIf(!tools)("estimateReclaimable (read-only) vs real virt-sparsify", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let savedTmp: string | undefined;
  const cases: Case[] = [];
  const outcomes = new Map<string, Outcome>();
  /** By image path: what its one real run gave back. */
  const reclaimed = new Map<string, number>();
  /** By image path, for a volume run after another in its list: its fingerprint just before its own run. */
  const beforeOwnRun = new Map<string, string>();

  /** FUSE views of this file's estimates live under `dir` (TMPDIR), so leftovers are ours. */
  const leftovers = async () => {
    const mounts = (await readFile("/proc/mounts", "utf8")).split("\n").filter((l) => l.includes(`${dir.path}/estimate-view-`));
    const dirs = (await readdir(dir.path)).filter((n) => n.startsWith("estimate-view-"));
    const children = [];
    for (const p of await processTree(process.pid)) {
      if (p.pid === process.pid) continue;
      const cmd = await readFile(`/proc/${p.pid}/cmdline`, "utf8").catch(() => "");
      if (/qemu-storage-daemon|dumpe2fs|filefrag|qemu-img/.test(cmd)) children.push(cmd.replaceAll("\0", " "));
    }
    return { mounts, dirs, children };
  };
  const nothingLeft = { mounts: [], dirs: [], children: [] };

  beforeAll(async () => {
    dir = await makeTempDir("estimate-accuracy-");
    // The sandboxed parser (the sparsify-parser user) must be able to walk to the view inside it.
    await chmod(dir.path, 0o711);
    savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = dir.path;
    const p = (name: string) => join(dir.path, name);

    const t0 = performance.now();
    const [rawEmpty, mbrQcow, mbrRaw, gpt, { base, top }] = await Promise.all([
      makeExt4Image(p("empty.raw"), { format: "raw", deletedMiB: 0 }),
      makeExt4Image(p("mbr-900.qcow2"), { format: "qcow2", layout: "part", deletedMiB: 900 }),
      makeExt4Image(p("mbr-full.raw"), { format: "raw", layout: "part", keepMiB: 700, deletedMiB: 200 }),
      makeGptImage(p("gpt.qcow2"), { format: "qcow2", ext4DeletedMiB: 100, xfsGarbageMiB: 120, swapGarbageMiB: 150 }),
      // Deleted data in the base; garbage written and deleted in the leaf after the snapshot, made
      // as soon as the base is rather than after every other image.
      makeExt4Image(p("base.qcow2"), { format: "qcow2", deletedMiB: 200 }).then(async (base) => ({
        base,
        top: await makeSnapshot("base.qcow2", p("top.qcow2"), { garbageMiB: 100 }),
      })),
    ]);
    console.log(`[timing] built 6 images in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const leaf = (v: Volume, label = "leaf"): Check => ({ label, volume: v, predicted: (e) => e.reclaimableBytes });
    const vol = (path: string, format: ImageFormat): Volume => ({ path, format });
    cases.push(
      // The chain's base, estimated alone (it has no backing file); its real run is the chain's.
      { name: "qcow2 whole disk, 200 MiB deleted", volumes: [vol(base.path, "qcow2")], checks: [leaf(vol(base.path, "qcow2"))] },
      { name: "raw whole disk, nearly empty", volumes: [vol(rawEmpty.path, "raw")], checks: [leaf(vol(rawEmpty.path, "raw"))] },
      { name: "qcow2 MBR, 900 MiB deleted", volumes: [vol(mbrQcow.path, "qcow2")], checks: [leaf(vol(mbrQcow.path, "qcow2"))] },
      {
        name: "raw MBR, nearly full (700 MiB kept, 200 deleted)",
        volumes: [vol(mbrRaw.path, "raw")],
        checks: [leaf(vol(mbrRaw.path, "raw"))],
      },
      {
        name: "qcow2 GPT: ext4, XFS, swap with garbage",
        volumes: [vol(gpt.path, "qcow2")],
        checks: [leaf(vol(gpt.path, "qcow2"))],
        extra: (e) => {
          expect(e.parts.map((x) => [x.start, x.length, x.kind])).toEqual([
            [gpt.ext4.start, gpt.ext4.length, "ext"],
            [gpt.xfs.start, gpt.xfs.length, "xfs"],
            [gpt.swap.start, gpt.swap.length, "swap"],
          ]);
          expect(e.parts[1]!.reclaimableBytes).toBeGreaterThan(115 * MiB);
          expect(e.parts[2]!.reclaimableBytes).toBeGreaterThan(140 * MiB);
          expect(e.method).toBe("ext4+xfs+swap: free blocks ∩ qemu-img map");
        },
      },
      {
        name: "snapshot chain: 100 MiB garbage in the leaf, 200 MiB deleted in the base",
        volumes: [vol(top.path, "qcow2"), vol(base.path, "qcow2")],
        checks: [
          leaf(vol(top.path, "qcow2")),
          { label: "afterMerge (base sparsified)", volume: vol(base.path, "qcow2"), predicted: (e) => e.afterMergeBytes! },
        ],
        extra: (e) => expect(e.afterMergeBytes).toBeGreaterThan(150 * MiB),
      },
    );

    for (const c of cases) {
      const files = c.volumes.map((v) => v.path);
      const fingerprintsBefore = await Promise.all(files.map(fingerprint));
      const estimate = await estimateReclaimable({ volumes: c.volumes });
      const fingerprintsAfter = await Promise.all(files.map(fingerprint));
      outcomes.set(c.name, { estimate, fingerprintsBefore, fingerprintsAfter });
    }

    // Each volume runs once. The chain (leaf then base, serial) is the longest list, so it starts
    // first and the single runs fill the other slot beside it.
    const claimed = new Set<string>();
    const runs = [...cases]
      .sort((a, b) => b.checks.length - a.checks.length)
      .map((c) => c.checks.map((k) => k.volume).filter((v) => !claimed.has(v.path) && claimed.add(v.path)))
      .filter((list) => list.length > 0);
    const t1 = performance.now();
    await pool(
      runs.map((list) => async () => {
        for (const [i, volume] of list.entries()) {
          // A later volume is held to estimates of it as it was: the earlier runs must not have touched it.
          if (i > 0) beforeOwnRun.set(volume.path, await fingerprint(volume.path));
          const before = await actualSize(volume);
          const run = await runVirtSparsify({
            ...volume,
            timeoutMs: 180_000,
            backendSettings: "force_tcg",
            tmpRoot: dir.path,
          });
          if (run.exitCode !== 0)
            throw new Error(`virt-sparsify failed on ${volume.path}: ${run.errorMessage ?? run.stderrTail}`);
          reclaimed.set(volume.path, before - (await actualSize(volume)));
        }
      }),
      2,
    );
    console.log(
      `[timing] ${claimed.size} real virt-sparsify runs, two at a time: ${((performance.now() - t1) / 1000).toFixed(1)} s`,
    );
    const rows = cases.flatMap((c) => {
      const o = outcomes.get(c.name)!;
      return c.checks.map((k) => {
        const predicted = k.predicted(o.estimate);
        const actual = reclaimed.get(k.volume.path)!;
        return (
          `  ${c.name} [${k.label}]: estimate ${mib(predicted)}, reclaimed ${mib(actual)}, off by ` +
          `${mib(predicted - actual)} (${o.estimate.durationMs} ms)`
        );
      });
    });
    console.log(`[accuracy]\n${rows.join("\n")}`);
  }, 600_000);

  afterAll(async () => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    await dir?.remove();
  });

  it.each([
    "qcow2 whole disk, 200 MiB deleted",
    "raw whole disk, nearly empty",
    "qcow2 MBR, 900 MiB deleted",
    "raw MBR, nearly full (700 MiB kept, 200 deleted)",
    "qcow2 GPT: ext4, XFS, swap with garbage",
    "snapshot chain: 100 MiB garbage in the leaf, 200 MiB deleted in the base",
  ])("%s: images untouched, estimate within max(5 %%, 8 MiB) of the real reclaim", async (name) => {
    const c = cases.find((x) => x.name === name)!;
    const o = outcomes.get(name)!;
    expect(o.fingerprintsAfter).toEqual(o.fingerprintsBefore);
    for (const check of c.checks) {
      const untouched = beforeOwnRun.get(check.volume.path);
      const i = c.volumes.findIndex((v) => v.path === check.volume.path);
      if (untouched !== undefined) expect(untouched, `${check.label}: untouched until its run`).toBe(o.fingerprintsBefore[i]);
      const actual = reclaimed.get(check.volume.path)!;
      expect(
        Math.abs(check.predicted(o.estimate) - actual),
        `${check.label}: estimate ${check.predicted(o.estimate)} vs reclaimed ${actual}`,
      ).toBeLessThanOrEqual(tolerance(actual));
    }
    expect(o.estimate.afterMergeBytes === null).toBe(c.volumes.length === 1);
    c.extra?.(o.estimate);
    expect(await leftovers()).toEqual(nothingLeft);
  });

  it("whole-disk XFS (no partition table, no window): the garbage in its free extents", async () => {
    // virt-sparsify trims XFS (checked on the GPT image above, which reads it through a window).
    const path = await makeXfsImage(join(dir.path, "whole.xfs.qcow2"), { format: "qcow2", sizeMiB: 512, garbageMiB: 100 });
    const e = await estimateReclaimable({ volumes: [{ path, format: "qcow2" }] });
    expect(e.method).toBe("xfs: free blocks ∩ qemu-img map");
    expect(Math.abs(e.reclaimableBytes - 100 * MiB)).toBeLessThanOrEqual(MiB);
    expect(await leftovers()).toEqual(nothingLeft);
  });

  describe("when there is nothing to estimate", () => {
    const reason = async (volumes: Volume[], timeoutMs?: number) => {
      try {
        await estimateReclaimable({ volumes, ...(timeoutMs ? { timeoutMs } : {}) });
        return "estimated";
      } catch (error) {
        if (!(error instanceof EstimateUnavailableError)) throw error;
        return error.reason;
      }
    };

    it.each([
      ["random bytes, raw", "NO_FILESYSTEM", "random" as const, "raw" as const],
      ["all zeros, qcow2", "NO_FILESYSTEM", "zeros" as const, "qcow2" as const],
    ])("%s → %s", async (_name, expected, kind, format) => {
      const raw = join(dir.path, `nofs-${kind}.raw`);
      await makeNoFilesystemImage(raw, { kind, sizeMiB: 16 });
      let path = raw;
      if (format === "qcow2") {
        path = join(dir.path, `nofs-${kind}.qcow2`);
        await execa("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, path]);
      }
      expect(await reason([{ path, format }])).toBe(expected);
      expect(await leftovers()).toEqual(nothingLeft);
    });

    it.each([
      ["LUKS-looking partition, no ext4", "ENCRYPTED", "luks" as const],
      ["LVM-looking partition, no ext4", "LVM", "lvm" as const],
    ])("%s → %s", async (_name, expected, second) => {
      const { path } = await makeMbrExt4PlusImage(join(dir.path, `only-${second}.qcow2`), {
        format: "qcow2",
        second,
        ext4: false,
      });
      expect(await reason([{ path, format: "qcow2" }])).toBe(expected);
    });

    it("ext4 beside an unreadable partition: estimated, and parts say which is which", async () => {
      const { path, p1, p2 } = await makeMbrExt4PlusImage(join(dir.path, "ext4-luks.raw"), {
        format: "raw",
        second: "luks",
        deletedMiB: 40,
      });
      const e = await estimateReclaimable({ volumes: [{ path, format: "raw" }] });
      expect(e.parts.map((x) => [x.start, x.kind])).toEqual([
        [p1, "ext"],
        [p2, "luks"],
      ]);
      expect(e.parts[1]!.reclaimableBytes).toBe(0);
      expect(e.reclaimableBytes).toBeGreaterThan(35 * MiB);
      expect(e.method).toBe("ext4: free blocks ∩ qemu-img map (skipped: crypto_LUKS)");
    });

    it("an ext4 dumpe2fs cannot read beside a good one: the good one is estimated, the other counts 0", async () => {
      const { path, p2 } = await makeMbrExt4PlusImage(join(dir.path, "ext4-broken.qcow2"), {
        format: "qcow2",
        second: "broken-ext4",
        deletedMiB: 40,
      });
      const e = await estimateReclaimable({ volumes: [{ path, format: "qcow2" }] });
      expect(e.parts[1]).toEqual({ start: p2, length: 127 * MiB, kind: "ext", reclaimableBytes: 0 });
      expect(e.reclaimableBytes).toBeGreaterThan(35 * MiB);
      expect(e.method).toBe("ext4: free blocks ∩ qemu-img map (skipped: ext4 (unreadable))");
    });

    it("only an ext4 dumpe2fs cannot read → UNREADABLE (not UNSUPPORTED_FILESYSTEM)", async () => {
      const { path } = await makeMbrExt4PlusImage(join(dir.path, "only-broken.qcow2"), {
        format: "qcow2",
        second: "broken-ext4",
        ext4: false,
      });
      expect(await reason([{ path, format: "qcow2" }])).toBe("UNREADABLE");
    });

    it("a volume list that is not the image's backing chain → BACKING_OUTSIDE_CHAIN (the inspector, before qemu)", async () => {
      const other = await makeExt4Image(join(dir.path, "other.qcow2"), { format: "qcow2", deletedMiB: 0 });
      const top = await makeSnapshot(other.path, join(dir.path, "other-top.qcow2"));
      expect(
        await reason([
          { path: top.path, format: "qcow2" },
          // base.qcow2: a standalone image, not other-top's backing file.
          { path: cases[0]!.volumes[0]!.path, format: "qcow2" },
        ]),
      ).toBe("BACKING_OUTSIDE_CHAIN");
      // Headers never add layers: the leaf alone, whose header names a backing file, is refused too.
      expect(await reason([{ path: top.path, format: "qcow2" }])).toBe("BACKING_OUTSIDE_CHAIN");
    });
  });

  describe("images in use", () => {
    it.each(["qcow2", "raw"] as const)("%s held like a running VM → IMAGE_IN_USE, image untouched", async (format) => {
      const image = await makeExt4Image(join(dir.path, `held.${format}`), { format, deletedMiB: 20, sizeGiB: 0.25 });
      const hold = await holdImage(image.path, format);
      try {
        const before = await fingerprint(image.path);
        await expect(estimateReclaimable({ volumes: [{ path: image.path, format }] })).rejects.toMatchObject({
          reason: "IMAGE_IN_USE",
        });
        expect(await fingerprint(image.path)).toBe(before);
      } finally {
        await hold.release();
      }
      expect(await leftovers()).toEqual(nothingLeft);
    });
  });

  it("deadline: every tiny timeout either finishes or is TIMED_OUT, and leaves no mount, dir or process", async () => {
    const image = await makeGptImage(join(dir.path, "deadline.qcow2"), {
      format: "qcow2",
      ext4DeletedMiB: 10,
      xfsGarbageMiB: 10,
      swapGarbageMiB: 10,
    });
    const outcomes: string[] = [];
    // Spread over every phase (chain, export start, dumpe2fs, the XFS window and xfs_db, swap), then one that must finish.
    for (const timeoutMs of [1, 2, 4, 7, 10, 14, 18, 24, 30, 40, 55, 70, 90, 120, 160, 220, 10_000]) {
      try {
        await estimateReclaimable({ volumes: [{ path: image.path, format: "qcow2" }], timeoutMs });
        outcomes.push(`${timeoutMs}:ok`);
      } catch (error) {
        expect(error).toBeInstanceOf(EstimateUnavailableError);
        expect((error as EstimateUnavailableError).reason).toBe("TIMED_OUT");
        outcomes.push(`${timeoutMs}:TIMED_OUT`);
      }
      expect(await leftovers(), `after timeout ${timeoutMs} ms`).toEqual(nothingLeft);
    }
    console.log(`[deadline] ${outcomes.join(" ")}`);
    expect(outcomes.filter((o) => o.endsWith("TIMED_OUT")).length).toBeGreaterThan(3);
    expect(outcomes.at(-1)).toBe("10000:ok");
  });
});
