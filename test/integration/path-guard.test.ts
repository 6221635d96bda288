import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { guardImagePath, PathGuardCode, readFileFacts, type GuardedLayer } from "../../src/host/path-guard.js";
import { configureImageTools } from "../../src/host/run-image-tool.js";
import { countingSpawns } from "../support/counting-spawns.js";
import { pausableDomain } from "../support/fuse-mounts.js";
import { requireRoot, requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

/** The guard on real files: each way a path can stop being the scanned file, one row. */
describe("guardImagePath", () => {
  let root: { path: string; remove: () => Promise<void> };
  let outside: { path: string; remove: () => Promise<void> };
  let dom: string;
  const layer = async (relPath: string): Promise<GuardedLayer> => {
    const facts = await readFileFacts(path.join(dom, relPath));
    return { relPath, identity: { device: facts.device, inode: facts.inode } };
  };

  beforeEach(async () => {
    root = await makeTempDir("guard-root-");
    outside = await makeTempDir("guard-outside-");
    dom = path.join(root.path, "dom");
    await fs.mkdir(path.join(dom, "sub"), { recursive: true });
    for (const f of ["a.raw", "b.raw", "sub/c.raw"]) await fs.writeFile(path.join(dom, f), "image");
    await fs.writeFile(path.join(outside.path, "x.raw"), "outside");
  });
  afterEach(async () => {
    await root.remove();
    await outside.remove();
  });

  it("returns the real path of an unchanged image", async () => {
    expect(await guardImagePath(dom, await layer("sub/c.raw"), [root.path])).toBe(path.join(await fs.realpath(dom), "sub/c.raw"));
  });

  it.each<[string, (l: GuardedLayer) => Promise<void>, PathGuardCode]>([
    [
      "leaf → symlink outside",
      async () => (await fs.rm(path.join(dom, "a.raw")), fs.symlink(path.join(outside.path, "x.raw"), path.join(dom, "a.raw"))),
      PathGuardCode.IMAGE_PATH_CHANGED,
    ],
    [
      "leaf → symlink to another image of the domain",
      async () => (await fs.rm(path.join(dom, "a.raw")), fs.symlink("b.raw", path.join(dom, "a.raw"))),
      PathGuardCode.IMAGE_PATH_CHANGED,
    ],
    [
      "replaced by another file (new inode, same name)",
      async () => (
        await fs.writeFile(path.join(dom, "a.new"), "image"),
        fs.rename(path.join(dom, "a.new"), path.join(dom, "a.raw"))
      ),
      PathGuardCode.IMAGE_PATH_CHANGED,
    ],
    [
      "hard link to an outside file",
      async () => (await fs.rm(path.join(dom, "a.raw")), fs.link(path.join(outside.path, "x.raw"), path.join(dom, "a.raw"))),
      PathGuardCode.IMAGE_HARDLINKED,
    ],
    [
      "a second name for the image itself",
      () => fs.link(path.join(dom, "a.raw"), path.join(outside.path, "alias.raw")),
      PathGuardCode.IMAGE_HARDLINKED,
    ],
    [
      "FIFO",
      async () => (await fs.rm(path.join(dom, "a.raw")), void (await execa("mkfifo", [path.join(dom, "a.raw")]))),
      PathGuardCode.IMAGE_NOT_REGULAR_FILE,
    ],
    [
      "directory",
      async () => (await fs.rm(path.join(dom, "a.raw")), fs.mkdir(path.join(dom, "a.raw"))),
      PathGuardCode.IMAGE_NOT_REGULAR_FILE,
    ],
    ["gone", () => fs.rm(path.join(dom, "a.raw")), PathGuardCode.IMAGE_NOT_FOUND],
  ])("%s", async (_name, swap, code) => {
    const l = await layer("a.raw");
    await swap(l);
    await expect(guardImagePath(dom, l, [root.path])).rejects.toMatchObject({ code });
  });

  it("a directory on the path replaced by a symlink", async () => {
    const l = await layer("sub/c.raw");
    await fs.mkdir(path.join(outside.path, "sub"));
    await fs.writeFile(path.join(outside.path, "sub", "c.raw"), "outside");
    await fs.rename(path.join(dom, "sub"), path.join(dom, ".old"));
    await fs.symlink(path.join(outside.path, "sub"), path.join(dom, "sub"));
    await expect(guardImagePath(dom, l, [root.path])).rejects.toMatchObject({ code: PathGuardCode.IMAGE_PATH_CHANGED });
  });

  it("no recorded identity (scanned before identities existed) → rescan", async () => {
    await expect(guardImagePath(dom, { relPath: "a.raw", identity: null }, [root.path])).rejects.toMatchObject({
      code: PathGuardCode.IMAGE_PATH_CHANGED,
      message: expect.stringMatching(/rescan/),
    });
  });

  it("a domain that now resolves outside the storage roots", async () => {
    const l = await layer("a.raw");
    const moved = path.join(outside.path, "dom");
    await fs.rename(dom, moved);
    await fs.symlink(moved, dom);
    await expect(guardImagePath(dom, l, [root.path])).rejects.toMatchObject({ code: PathGuardCode.IMAGE_PATH_CHANGED });
  });

  it("a relPath that climbs out of the domain", async () => {
    await expect(guardImagePath(dom, { relPath: "../../x.raw", identity: { device: "0", inode: "0" } })).rejects.toMatchObject({
      code: PathGuardCode.IMAGE_PATH_CHANGED,
    });
  });
});

const fuse = requireTools("bindfs", "fusermount3", "find", "dd") && requireRoot("FUSE mounts that pause");

/** Before this process touches an image, a child looks at it under a deadline: one fork per layer. */
describe.runIf(fuse)("guardImagePath on storage that stops answering", () => {
  it("one child per layer while it answers; STORAGE_UNAVAILABLE at the deadline once it hangs, nothing opened here", async () => {
    const dir = await makeTempDir("guard-hung-");
    const { domain: dom, mount } = await pausableDomain(dir.path, "dom");
    try {
      const facts = await readFileFacts(path.join(dom, "a.raw"));
      const layer = { relPath: "a.raw", identity: { device: facts.device, inode: facts.inode } };
      const answered = await countingSpawns(() => guardImagePath(dom, layer));
      expect(answered).toEqual({ result: path.join(await fs.realpath(dom), "a.raw"), spawns: 1 });
      configureImageTools({ timeoutMs: 1_000 });
      mount.pause();
      const t0 = performance.now();
      await expect(guardImagePath(dom, layer)).rejects.toMatchObject({ code: PathGuardCode.STORAGE_UNAVAILABLE });
      expect(performance.now() - t0).toBeLessThan(4_000);
    } finally {
      configureImageTools({ timeoutMs: 60_000 });
      await mount.teardown();
      await dir.remove();
    }
  });
});
