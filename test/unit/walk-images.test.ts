import { execa } from "execa";
import fs from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WalkFailedError } from "../../src/host/scan/find-entries.js";
import type { ImageFile } from "../../src/host/scan/image-file.js";
import { WalkLimitError, walkImages } from "../../src/host/scan/walk-images.js";
import { makeTempDir } from "../support/temp-dir.js";

const OPTIONS = { stepTimeoutMs: 10_000 };

async function all(images: AsyncIterable<ImageFile>): Promise<ImageFile[]> {
  const found: ImageFile[] = [];
  for await (const image of images) found.push(image);
  return found;
}

/** The domain's walk: which files become images, found as the readers ask, never listed whole. */
describe("walkImages", () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let root: string;
  const touch = async (rel: string) => {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), "");
  };
  const link = (target: string, rel: string) => fs.symlink(target, path.join(root, rel));
  beforeEach(async () => {
    tmp = await makeTempDir("walk-test-");
    root = path.join(await fs.realpath(tmp.path), "domain");
    await fs.mkdir(root);
  });
  afterEach(async () => tmp.remove());

  it("lists each real image once under its real path: hidden names, other files, FIFOs and links leaving are skipped", async () => {
    for (const rel of ["a.qcow2", "b.RAW", "c.img", "notes.txt", ".hidden.raw", "sub/d.qcow2", "sub/.e.raw"]) await touch(rel);
    for (const rel of [".hdir/e.raw", ".hdir/deep/f.raw", ".hdir/deep/.g.raw", ".other/h.raw"]) await touch(rel);
    await execa("mkfifo", [path.join(root, "fifo.raw")]);
    const links: [target: string, rel: string][] = [
      ["fifo.raw", "link-to-fifo.raw"],
      ["/etc/hostname", "outside.raw"],
      ["/etc", "etc-link"],
      ["nowhere.raw", "dangling.raw"],
      ["a.qcow2", "same.qcow2"], // the plain walk lists a.qcow2 itself
      ["sub", "sub-link"],
      [".", "self"],
      [".hidden.raw", "hid.raw"], // two links to one hidden image: listed once
      [".hidden.raw", "sub/hid2.raw"],
      [".hdir/deep", "deep-link"], // a hidden directory entered twice, through itself and its parent
      [".hdir", "hdir-link"],
      [".hdir/e.raw", "e-link.raw"],
      ["..", ".hdir/up"], // loops back out of the hidden directory
      [".", ".hdir/deep/loop"],
      ["loop-b", "loop-a"], // a link loop
      ["loop-a", "loop-b"],
      [".other", ".hidden-link"], // a hidden link is never followed
    ];
    for (const [target, rel] of links) await link(target, rel);
    const found = await all(walkImages(root, OPTIONS));
    expect(found.map((f) => f.relPath).sort()).toEqual(
      [".hdir/deep/f.raw", ".hdir/e.raw", ".hidden.raw", "a.qcow2", "b.RAW", "c.img", "sub/d.qcow2"].sort(),
    );
    for (const f of found) expect(f.absPath).toBe(path.join(root, f.relPath));
    expect(Object.fromEntries(found.map((f) => [f.relPath, f.format]))).toMatchObject({ "a.qcow2": "qcow2", "c.img": "raw" });
  });

  it("the same set whichever link is met first (a hidden directory's part linked on its own)", async () => {
    await touch(".h/sub/x.raw");
    await touch(".h/y.raw");
    // Two domains, the links named so that each order comes first in one of them (the storage's order is not sorted).
    await link(".h/sub", "a-sub");
    await link(".h", "b-all");
    const first = (await all(walkImages(root, OPTIONS))).map((f) => f.relPath).sort();
    await fs.rm(path.join(root, "a-sub"));
    await fs.rm(path.join(root, "b-all"));
    await link(".h", "a-all");
    await link(".h/sub", "b-sub");
    const second = (await all(walkImages(root, OPTIONS))).map((f) => f.relPath).sort();
    expect(first).toEqual([".h/sub/x.raw", ".h/y.raw"]);
    expect(second).toEqual(first);
  });

  it("finds an image only when the readers ask: one added to a directory not reached yet is listed", async () => {
    // Two directories whose names outgrow the pipe between find and the worker many times over.
    const names = Array.from({ length: 2_500 }, (_, i) => `${"n".repeat(120)}-${i}.qcow2`);
    for (const dir of ["a", "b"]) {
      await fs.mkdir(path.join(root, dir));
      await Promise.all(names.map((n) => fs.writeFile(path.join(root, dir, n), "")));
    }
    const walk = walkImages(root, OPTIONS);
    const first = await walk.next();
    expect(first.done).toBe(false);
    // Whichever directory the walk is in has been read; the other is not opened before the readers get there.
    for (const dir of ["a", "b"]) await fs.writeFile(path.join(root, dir, "late.qcow2"), "");
    const rest = await all({ [Symbol.asyncIterator]: () => walk });
    expect(rest.filter((f) => path.basename(f.relPath) === "late.qcow2")).toHaveLength(1);
    expect(rest.length + 1).toBe(2 * names.length + 1);
  });

  it("fails past maxFiles", async () => {
    for (const rel of ["a.raw", "b.raw", "c.raw"]) await touch(rel);
    await expect(all(walkImages(root, { ...OPTIONS, maxFiles: 2 }))).rejects.toBeInstanceOf(WalkLimitError);
    expect(await all(walkImages(root, { ...OPTIONS, maxFiles: 3 }))).toHaveLength(3);
  });

  it.runIf(process.getuid?.() === 0)(
    "fails, saying why, on a file system loop (a directory bind-mounted inside itself)",
    async () => {
      await touch("a/x.raw");
      await fs.mkdir(path.join(root, "a", "b"));
      await execa("mount", ["--bind", path.join(root, "a"), path.join(root, "a", "b")]);
      try {
        const walked = all(walkImages(root, OPTIONS));
        await expect(walked).rejects.toBeInstanceOf(WalkFailedError);
        await expect(walked).rejects.toThrow(/loop/);
      } finally {
        await execa("umount", [path.join(root, "a", "b")]);
      }
    },
  );
});
