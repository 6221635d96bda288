import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReadingSpool, SpoolPlacementError } from "../../src/services/reading-spool.js";
import { makeTempDir } from "../support/temp-dir.js";
import { reading } from "../support/volume-reading.js";

const text = async (spool: ReadingSpool) => {
  let out = "";
  for await (const chunk of spool.readable()) out += chunk;
  return out;
};

/** A scan's readings on local disk: private, never in a storage domain, always removed. */
describe("ReadingSpool", () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeEach(async () => {
    tmp = await makeTempDir("spool-test-");
  });
  afterEach(async () => tmp.remove());

  it("lives in a private directory (0700) of its own, its file 0600", async () => {
    const spool = await ReadingSpool.create(["/srv/storage"], [tmp.path]);
    try {
      expect(path.dirname(spool.dir)).toBe(await fs.realpath(tmp.path));
      expect((await fs.stat(spool.dir)).mode & 0o777).toBe(0o700);
      expect((await fs.stat(spool.file)).mode & 0o777).toBe(0o600);
    } finally {
      await spool.dispose();
    }
  });

  it("skips a temporary directory under a storage root, and refuses when every one is", async () => {
    const inside = path.join(tmp.path, "storage", "tmp");
    const outside = path.join(tmp.path, "elsewhere");
    await fs.mkdir(inside, { recursive: true });
    await fs.mkdir(outside);
    const root = path.join(await fs.realpath(tmp.path), "storage");
    const spool = await ReadingSpool.create([root], [inside, outside]);
    try {
      expect(path.dirname(spool.dir)).toBe(await fs.realpath(outside));
    } finally {
      await spool.dispose();
    }
    await expect(ReadingSpool.create([root], [inside, root])).rejects.toBeInstanceOf(SpoolPlacementError);
    expect(await fs.readdir(inside)).toEqual([]);
  });

  it("holds one COPY line per reading, hostile names escaped, whatever the number of buffered flushes", async () => {
    const spool = await ReadingSpool.create([], [tmp.path]);
    try {
      const names = Array.from({ length: 5_000 }, (_, i) => `vm-${i}/a\tb\nc\\d-${"x".repeat(60)}.qcow2`);
      // Four writers at once, as the walk's lanes write.
      let next = 0;
      const lane = async () => {
        while (next < names.length) await spool.write(reading(names[next++]!));
      };
      await Promise.all([lane(), lane(), lane(), lane()]);
      await spool.finish();
      const lines = (await text(spool)).split("\n");
      expect(lines.pop()).toBe("");
      expect(spool.count).toBe(names.length);
      expect(lines.map((l) => l.split("\t")[0]).sort()).toEqual(
        names.map((n) => n.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n")).sort(),
      );
    } finally {
      await spool.dispose();
    }
  });

  it("dispose removes the spool and its directory, also when the scan failed half-way (file still open)", async () => {
    const spool = await ReadingSpool.create([], [tmp.path]);
    await spool.write(reading("a.qcow2"));
    await spool.dispose();
    expect(existsSync(spool.dir)).toBe(false);
    await spool.dispose(); // twice is harmless
    await expect(spool.write(reading("b.qcow2"))).rejects.toThrow(/closed/);
  });
});
