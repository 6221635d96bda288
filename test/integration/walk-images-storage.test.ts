import { execa } from "execa";
import fs from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findEntries } from "../../src/host/scan/find-entries.js";
import type { ImageFile } from "../../src/host/scan/image-file.js";
import { readVolumesInto } from "../../src/host/scan/read-volumes.js";
import { walkImages } from "../../src/host/scan/walk-images.js";
import { StorageHungError } from "../../src/host/with-deadline.js";
import { requireTools } from "../support/require-tool.js";
import { exportStuckFuse, type StuckFuse } from "../support/stuck-fuse.js";
import { makeTempDir } from "../support/temp-dir.js";

/** The streamed walk on real storage: hung mounts end it in bounded time, a failed read stops it and closes it. */
describe.runIf(requireTools("qemu-img", "qemu-storage-daemon", "fusermount3"))("the scan's walk on real storage", () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let root: string;
  let stuck: StuckFuse | undefined;
  beforeEach(async () => {
    tmp = await makeTempDir("walk-storage-");
    root = path.join(await fs.realpath(tmp.path), "domain");
    await fs.mkdir(root);
  });
  afterEach(async () => {
    await stuck?.release();
    stuck = undefined;
    await tmp.remove();
  });

  const frozen = async (rel: string) => {
    const backing = path.join(tmp.path, "backing.bin");
    await execa("truncate", ["-s", "16M", backing]);
    stuck = await exportStuckFuse(backing, path.join(root, rel));
    stuck.pause();
    return stuck.mountpoint;
  };

  it("a batch of names that does not come in time ends the walk as hung storage (find is killed, not awaited)", async () => {
    const mountpoint = await frozen("hung.raw");
    // find's first step on a start point is its lstat: on the frozen mount it never returns.
    const listing = (async () => {
      for await (const entry of findEntries(mountpoint, 1_000)) void entry;
    })();
    await expect(listing).rejects.toBeInstanceOf(StorageHungError);
  }, 30_000);

  it("a link into a hidden place on a frozen mount ends the walk as hung storage, named by the link", async () => {
    // In a pruned hidden directory, find never stats it: the link's own realpath is the step that hangs.
    await fs.mkdir(path.join(root, ".h"));
    await frozen(".h/hung.raw");
    await fs.symlink(".h/hung.raw", path.join(root, "link.raw"));
    const walked = (async () => {
      for await (const image of walkImages(root, { stepTimeoutMs: 1_000 })) void image;
    })();
    await expect(walked).rejects.toBeInstanceOf(StorageHungError);
    await expect(walked).rejects.toThrow(/the link link.raw did not answer/);
  }, 30_000);

  it("after a failed reading the lanes take no more images, and the walk is closed", async () => {
    await execa("qemu-img", ["create", "-q", "-f", "qcow2", path.join(root, "a.qcow2"), "16M"]);
    const image: ImageFile = { relPath: "a.qcow2", absPath: path.join(root, "a.qcow2"), format: "qcow2" };
    let taken = 0;
    let closed = false;
    async function* images() {
      try {
        for (let i = 0; i < 200; i++) {
          taken++;
          yield image;
        }
      } finally {
        closed = true;
      }
    }
    let sunk = 0;
    const sink = () => {
      if (sunk++ === 0) throw new Error("the spool is full");
    };
    await expect(readVolumesInto(images(), root, [root], sink, 4)).rejects.toThrow("the spool is full");
    expect(taken).toBeLessThanOrEqual(4); // one per lane at most: the one in hand when the first failed
    expect(closed).toBe(true);
  });
});
