import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectVerifyMode } from "../../src/domain/direct-verify-mode.js";
import { directProver } from "../../src/host/direct/direct-prover.js";
import { runDirect } from "../../src/host/direct/run-direct.js";
import { ImageRefusal } from "../../src/host/inspect/image-refusal.js";
import { PathGuardError, readFileFacts, type FileIdentity } from "../../src/host/path-guard.js";
import { mappedCanaryStates, type MappedCanaryState } from "../support/canary.js";
import { overwriteWith } from "../support/domain-driver.js";
import { makeExt4Image } from "../support/images.js";
import { qemuImgCreate } from "../support/inspector-images.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

const identityOf = async (file: string): Promise<FileIdentity> => {
  const { device, inode } = await readFileFacts(file);
  return { device, inode };
};
const run = (file: string, identity?: FileIdentity) =>
  runDirect({
    layers: [{ path: file, format: "qcow2", ...(identity ? { identity } : {}) }],
    prover: directProver,
    verify: DirectVerifyMode.STANDARD,
    signal: AbortSignal.timeout(120_000),
  });

/**
 * The last window of a DIRECT run: between the path guard and the inspector (which read the
 * image by name) and qemu-storage-daemon opening it, the image can still be swapped or its header
 * rewritten. What the daemon actually opened is checked before anything is read or discarded:
 * every file it holds must be a layer of the recorded chain, by device and inode. Without that
 * check, each case below discards the free space of a file outside the domain.
 */
describe.runIf(requireTools("qemu-storage-daemon", "qemu-io", "qemu-img", "mke2fs", "debugfs", "xfs_io"))(
  "DIRECT: what the daemon opened is the recorded chain",
  () => {
    let tmp: { path: string; remove: () => Promise<void> };
    let dom: string;
    let outside: string;
    let canaries: string[];
    let before: MappedCanaryState[];

    beforeAll(async () => {
      tmp = await makeTempDir("direct-opened-");
      dom = path.join(tmp.path, "dom");
      outside = path.join(tmp.path, "outside");
      await fs.mkdir(path.join(outside, "subdir"), { recursive: true });
      await fs.mkdir(path.join(dom, "sub"), { recursive: true });
      // qemu-img truncates the data file it names: the header first, the content after.
      await qemuImgCreate(outside, "hostile-df.qcow2", "qcow2", "1G", [
        "-o",
        `data_file=${path.join(outside, "data.raw")},data_file_raw=on`,
      ]);
      // Every outside file holds real free space: a wrong discard would change it.
      await makeExt4Image(path.join(outside, "data.raw"), { format: "raw", deletedMiB: 40 });
      await makeExt4Image(path.join(outside, "other.qcow2"), { format: "qcow2", deletedMiB: 40 });
      await makeExt4Image(path.join(outside, "subdir", "x.qcow2"), { format: "qcow2", deletedMiB: 40 });
      for (const name of ["df.qcow2", "link.qcow2", "linked.qcow2", "unrecorded.qcow2", "sub/x.qcow2"])
        await makeExt4Image(path.join(dom, name), { format: "qcow2", deletedMiB: 10 });
      canaries = ["data.raw", "other.qcow2", "subdir/x.qcow2"].map((f) => path.join(outside, f));
      before = await mappedCanaryStates(canaries);
    }, 120_000);
    afterAll(() => tmp?.remove());

    it("a header given an outside data file after the checks: refused EXTERNAL_DATA_FILE, nothing read or discarded", async () => {
      const file = path.join(dom, "df.qcow2");
      const identity = await identityOf(file);
      await overwriteWith(file, path.join(outside, "hostile-df.qcow2")); // same inode: the identity still holds
      const error = await run(file, identity).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageRefusal);
      expect(error).toMatchObject({ code: "EXTERNAL_DATA_FILE" });
      expect((error as Error).message).toMatch(/data\.raw/);
      expect(await mappedCanaryStates(canaries)).toEqual(before);
    }, 60_000);

    it("the image swapped for a symlink to an outside image after the guard: refused IMAGE_PATH_CHANGED", async () => {
      const file = path.join(dom, "link.qcow2");
      const identity = await identityOf(file);
      await fs.rm(file);
      await fs.symlink(path.join(outside, "other.qcow2"), file);
      const error = await run(file, identity).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PathGuardError);
      expect(error).toMatchObject({ code: "IMAGE_PATH_CHANGED" });
      expect(await mappedCanaryStates(canaries)).toEqual(before);
    }, 60_000);

    it("a directory of its path swapped for a symlink to an outside directory: refused IMAGE_PATH_CHANGED", async () => {
      const file = path.join(dom, "sub", "x.qcow2");
      const identity = await identityOf(file);
      await fs.rename(path.join(dom, "sub"), path.join(tmp.path, "old-sub"));
      await fs.symlink(path.join(outside, "subdir"), path.join(dom, "sub"));
      const error = await run(file, identity).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "IMAGE_PATH_CHANGED" });
      expect(await mappedCanaryStates(canaries)).toEqual(before);
    }, 60_000);

    it("an outside name hard-linked to the image after the guard: refused IMAGE_HARDLINKED, the linked file unchanged", async () => {
      const file = path.join(dom, "linked.qcow2");
      const identity = await identityOf(file);
      await fs.link(file, path.join(outside, "linked.qcow2"));
      const linked = await mappedCanaryStates([path.join(outside, "linked.qcow2")]);
      const error = await run(file, identity).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "IMAGE_HARDLINKED" });
      expect(await mappedCanaryStates([path.join(outside, "linked.qcow2")])).toEqual(linked);
      expect(await mappedCanaryStates(canaries)).toEqual(before);
    }, 60_000);

    it("without a recorded identity, the file as it was before the daemon started is the one it must open", async () => {
      const file = path.join(dom, "unrecorded.qcow2");
      await fs.rm(file);
      await fs.symlink(path.join(outside, "other.qcow2"), file);
      const error = await run(file).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "IMAGE_PATH_CHANGED" });
      expect(await mappedCanaryStates(canaries)).toEqual(before);
    }, 60_000);
  },
);
