import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostSlots } from "../../src/jobs/worker/host-slots.js";
import { mappedCanaryStates, type MappedCanaryState } from "../support/canary.js";
import { makeJournalDirty } from "../support/direct-run-images.js";
import { domainDriver, overwriteWith } from "../support/domain-driver.js";
import { makeExt4Image } from "../support/images.js";
import { qemuImgCreate } from "../support/inspector-images.js";
import { requireTools } from "../support/require-tool.js";
import { codeOf, ok, REDIS_URL, startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";

const JOB = `query($j: ID!) { sparsifyJob(id: $j) { state methodUsed fallbackReason error { code message } } }`;
/** 256 MiB disks: every canary is hashed after every case, and FULL verification hashes each DIRECT disk twice. */
const SMALL = 0.25;
const LATE = ["late-df", "late-back-abs", "late-back-rel", "late-link", "late-dir", "late-mismatch", "late-hard", "clean"];

/**
 * Crafted images on a storage domain set to DIRECT (verify FULL), each requested through
 * sparsifyDisk and run by the real worker: every one is refused or fails with its typed code, and
 * the files outside the storage roots (ext4 images with deleted data, so a wrong discard WOULD
 * change them) keep their bytes, their allocation and their data/hole map.
 */
describe.runIf(requireTools("qemu-storage-daemon", "qemu-io", "qemu-img", "mke2fs", "debugfs", "xfs_io"))(
  "DIRECT canaries: nothing outside the storage roots changes",
  () => {
    let stack: Stack;
    let dom: string;
    let outside: string;
    let domainId: string;
    let canaries: string[];
    let before: MappedCanaryState[];
    const { ids, disk, scan, until, settled, sparsifyToEnd } = domainDriver(
      () => stack,
      () => domainId,
    );
    const out = (name: string) => path.join(outside, name);
    const latestJob = async (alias: string) => {
      const list = ok<any>(
        await stack.gql(`query($d: ID!) { sparsifyJobs(filter: { diskId: $d }, first: 1) { edges { node { id } } } }`, {
          d: ids.get(alias),
        }),
      );
      return ok<any>(await stack.gql(JOB, { j: list.sparsifyJobs.edges[0].node.id })).sparsifyJob;
    };
    /** Runs the disk's job to its end: it fails with `code`, and DIRECT never opened the image. */
    const failsBeforeDirect = async (alias: string, code: string) => {
      expect(await sparsifyToEnd(alias), alias).toMatchObject({ state: "FAILED", error: { code } });
      expect(await latestJob(alias), alias).toMatchObject({ methodUsed: null, fallbackReason: null });
      expect(await mappedCanaryStates(canaries)).toEqual(before);
    };

    beforeAll(async () => {
      stack = await startStack();
      outside = await fs.mkdtemp(path.join(os.tmpdir(), "outside-roots-"));
      dom = path.join(stack.root, "dom");
      await fs.mkdir(path.join(dom, "sub"), { recursive: true });
      await fs.mkdir(out("subdir"));
      const relBase = path.relative(dom, out("base.raw")); // ../../outside-roots-…/base.raw
      // qemu-img truncates the data file a header names: every such header first, the content after.
      const dataFile = ["-o", `data_file=${out("data.raw")},data_file_raw=on`];
      await qemuImgCreate(dom, "datafile.qcow2", "qcow2", "256M", dataFile);
      await qemuImgCreate(outside, "hostile-df.qcow2", "qcow2", "256M", dataFile);
      // The canaries: real free space in each.
      await makeExt4Image(out("data.raw"), { format: "raw", deletedMiB: 40, sizeGiB: SMALL });
      await makeExt4Image(out("base.raw"), { format: "raw", deletedMiB: 40, sizeGiB: SMALL });
      await makeExt4Image(out("other.qcow2"), { format: "qcow2", deletedMiB: 40, sizeGiB: SMALL });
      await makeExt4Image(out("subdir/late-dir.qcow2"), { format: "qcow2", deletedMiB: 40, sizeGiB: SMALL });
      await makeExt4Image(out("hard.qcow2"), { format: "qcow2", deletedMiB: 40, sizeGiB: SMALL });
      // Hostile at the scan.
      await qemuImgCreate(dom, "outback.qcow2", "qcow2", "256M", ["-b", out("base.raw"), "-F", "raw"]);
      await qemuImgCreate(dom, "relback.qcow2", "qcow2", "256M", ["-u", "-b", relBase, "-F", "raw"]);
      await qemuImgCreate(dom, "mismatch.img", "qcow2", "256M", ["-b", out("base.raw"), "-F", "raw"]);
      await fs.link(out("hard.qcow2"), path.join(dom, "prelinked.qcow2"));
      // Hostile headers to write into clean images after the scan (same inode: the path guard passes).
      await qemuImgCreate(outside, "hostile-back-abs.qcow2", "qcow2", "256M", ["-b", out("base.raw"), "-F", "raw"]);
      await qemuImgCreate(outside, "hostile-back-rel.qcow2", "qcow2", "256M", ["-u", "-b", relBase, "-F", "raw"]);
      // Clean at the scan; made hostile before their run.
      for (const name of ["late-df", "late-back-abs", "late-back-rel", "late-link", "sub/late-dir", "late-hard", "clean"])
        await makeExt4Image(path.join(dom, `${name}.qcow2`), { format: "qcow2", deletedMiB: 20, sizeGiB: SMALL });
      await makeExt4Image(path.join(dom, "late-mismatch.img"), { format: "raw", deletedMiB: 20, sizeGiB: SMALL });
      // Falls back (a dirty journal) and is rewritten while it waits for an appliance slot.
      await makeExt4Image(path.join(dom, "late-fallback.qcow2"), { format: "qcow2", deletedMiB: 20, sizeGiB: SMALL });
      await makeJournalDirty(path.join(dom, "late-fallback.qcow2"), "qcow2");

      canaries = ["data.raw", "base.raw", "other.qcow2", "subdir/late-dir.qcow2", "hard.qcow2"].map(out);
      domainId = ok<any>(
        await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "dom", path: $p }) { id } }`, { p: dom }),
      ).addStorageDomain.id;
      ok(
        await stack.gql(`mutation($d: ID!) { setSparsifyMethod(storageDomainId: $d, method: DIRECT, verify: FULL) { id } }`, {
          d: domainId,
        }),
      );
      await scan();
      // The estimates queued by the scan must not race the changes below (an estimate that saw one
      // would block the disk, and sparsifyDisk would be refused before any job ran).
      for (const alias of [...LATE, "late-fallback"])
        await until(alias, (d) => d.reclaimableEstimate !== null || d.estimateUnavailableReason !== null);
      await settled();
      before = await mappedCanaryStates(canaries);
    }, 240_000);
    afterAll(async () => {
      await stack?.close();
      await fs.rm(outside, { recursive: true, force: true });
    });

    it.each([
      ["datafile", "EXTERNAL_DATA_FILE"],
      ["outback", "BACKING_OUTSIDE_CHAIN"],
      ["relback", "BACKING_OUTSIDE_CHAIN"],
      ["mismatch", "FORMAT_MISMATCH"],
      ["prelinked", "IMAGE_HARDLINKED"],
    ])("hostile at the scan: %s is refused at the request with %s, no job runs", async (alias, code) => {
      expect((await disk(alias)).blockers.map((b: any) => b.code)).toContain(code);
      const result = await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: ids.get(alias) });
      expect(codeOf(result)).toBe("DISK_NOT_SPARSIFIABLE");
      expect(JSON.stringify(result.errors)).toContain(code);
      const [{ count }] = await stack.db.query(`SELECT count(*)::int AS count FROM sparsify_job WHERE "diskId" = $1`, [
        ids.get(alias),
      ]);
      expect(count).toBe(0);
      expect(await mappedCanaryStates(canaries)).toEqual(before);
    });

    it("a header given an outside data file after the scan: the run-time inspector fails it EXTERNAL_DATA_FILE", async () => {
      await overwriteWith(path.join(dom, "late-df.qcow2"), out("hostile-df.qcow2"));
      await failsBeforeDirect("late-df", "EXTERNAL_DATA_FILE");
    });

    it.each([
      ["late-back-abs", "hostile-back-abs.qcow2"],
      ["late-back-rel", "hostile-back-rel.qcow2"],
    ])("%s: a backing file outside the roots written after the scan fails BACKING_OUTSIDE_CHAIN", async (alias, hostile) => {
      await overwriteWith(path.join(dom, `${alias}.qcow2`), out(hostile));
      await failsBeforeDirect(alias, "BACKING_OUTSIDE_CHAIN");
    });

    it("the image swapped for a symlink to an outside image after the request: IMAGE_PATH_CHANGED", async () => {
      await fs.rm(path.join(dom, "late-link.qcow2"));
      await fs.symlink(out("other.qcow2"), path.join(dom, "late-link.qcow2"));
      await failsBeforeDirect("late-link", "IMAGE_PATH_CHANGED");
    });

    it("a directory of the image's path swapped for a symlink to an outside directory: IMAGE_PATH_CHANGED", async () => {
      await fs.rename(path.join(dom, "sub"), path.join(stack.root, "old-sub"));
      await fs.symlink(out("subdir"), path.join(dom, "sub"));
      await failsBeforeDirect("late-dir", "IMAGE_PATH_CHANGED");
    });

    it("a raw .img whose content became a qcow2 naming an outside backing file: FORMAT_MISMATCH", async () => {
      await overwriteWith(path.join(dom, "late-mismatch.img"), path.join(dom, "mismatch.img"));
      await failsBeforeDirect("late-mismatch", "FORMAT_MISMATCH");
    });

    it("an outside name hard-linked to the image after the scan: IMAGE_HARDLINKED, the linked file unchanged", async () => {
      await fs.link(path.join(dom, "late-hard.qcow2"), out("late-hard-link.qcow2"));
      const linked = await mappedCanaryStates([out("late-hard-link.qcow2")]);
      await failsBeforeDirect("late-hard", "IMAGE_HARDLINKED");
      expect(await mappedCanaryStates([out("late-hard-link.qcow2")])).toEqual(linked);
    });

    it("a DIRECT fallback rewritten to name an outside data file while it waits for virt-sparsify: EXTERNAL_DATA_FILE", async () => {
      // Every appliance slot of the host held: the fallen-back job waits before virt-sparsify.
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      const slots = new HostSlots(redis, HostSlots.key(stack.config.QUEUE_PREFIX, stack.config.HOST_NAME, "appliance"), 1_000);
      const held = await Promise.all(Array.from({ length: 64 }, (_, i) => slots.tryAcquire(`canary-${i}`)));
      try {
        const { id } = ok<any>(
          await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: ids.get("late-fallback") }),
        ).sparsifyDisk;
        await waitFor(async () => (ok<any>(await stack.gql(JOB, { j: id })).sparsifyJob.fallbackReason ? true : null), {
          timeout: 60_000,
          what: "DIRECT to fall back",
        });
        await overwriteWith(path.join(dom, "late-fallback.qcow2"), out("hostile-df.qcow2"));
        await Promise.all(held.map((h) => h?.release()));
        const ended = await waitFor(
          async () => {
            const j = ok<any>(await stack.gql(JOB, { j: id })).sparsifyJob;
            return j.state === "QUEUED" || j.state === "RUNNING" ? null : j;
          },
          { timeout: 300_000, what: "the fallen-back job to end" },
        );
        expect(ended).toMatchObject({
          state: "FAILED",
          methodUsed: "VIRT_SPARSIFY",
          fallbackReason: "EXT_NOT_CLEAN",
          error: { code: "EXTERNAL_DATA_FILE" },
        });
        expect(await mappedCanaryStates(canaries)).toEqual(before);
      } finally {
        await Promise.all(held.map((h) => h?.release()));
        await redis.quit();
      }
    }, 360_000);

    it("a clean image beside them all runs DIRECT and succeeds: the checks refuse only what they should", async () => {
      expect(await sparsifyToEnd("clean")).toMatchObject({ state: "SUCCEEDED" });
      expect(await latestJob("clean")).toMatchObject({ methodUsed: "DIRECT", fallbackReason: null });
      expect(await mappedCanaryStates(canaries)).toEqual(before);
    }, 120_000);
  },
);
