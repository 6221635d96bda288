import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReadingSpool } from "../../src/services/reading-spool.js";
import { spoolOwnerPid, sweepOrphanSpools } from "../../src/services/reading-spool-sweep.js";
import { makeTempDir } from "../support/temp-dir.js";

describe("spoolOwnerPid", () => {
  it.each([
    ["sparsify-scan-1234-aB3xYz", 1234],
    ["sparsify-scan-1-000000", 1],
    ["sparsify-scan-0-aB3xYz", null], // no pid 0
    ["sparsify-scan-aB3xYz", null], // a spool from before pids were in the name
    ["sparsify-scan-12-aB3xY", null], // mkdtemp's suffix is six characters
    ["sparsify-scan-12-aB3xYz/..", null],
    ["sparsify-scan-99999999999-aB3xYz", null], // beyond any pid
    ["other-1234-aB3xYz", null],
    ["xsparsify-scan-1234-aB3xYz", null],
  ])("%s → %s", (name, pid) => expect(spoolOwnerPid(name)).toBe(pid));
});

/** A SIGKILLed worker's scan leaves its spool; the next worker's start removes it, and only it. */
describe("sweepOrphanSpools", () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeEach(async () => {
    tmp = await makeTempDir("spool-sweep-test-");
  });
  afterEach(async () => tmp.remove());

  /** A pid that provably belonged to a process that has exited. */
  const deadPid = async () => {
    const child = execa("true");
    await child;
    return child.pid!;
  };

  it("removes a dead owner's private spool; keeps a live one's, a foreign name, an open directory and a symlink's target", async () => {
    const live = await ReadingSpool.create(["/srv/storage"], [tmp.path]);
    const dead = path.join(tmp.path, `sparsify-scan-${await deadPid()}-abcdef`);
    await fs.mkdir(dead, { mode: 0o700 });
    await fs.writeFile(path.join(dead, "readings.copy"), "x\n");
    const foreign = path.join(tmp.path, "sparsify-scan-old-abcdef");
    await fs.mkdir(foreign);
    // Open to others: its content could have been planted, so it is not provably a spool of ours.
    const open = path.join(tmp.path, `sparsify-scan-${await deadPid()}-mnopqr`);
    await fs.mkdir(open);
    await fs.chmod(open, 0o777);
    // A hostile link named like a dead spool: it is not a directory of ours, and what it names stays.
    const target = path.join(tmp.path, "target");
    await fs.mkdir(target);
    await fs.writeFile(path.join(target, "keep"), "keep");
    const link = path.join(tmp.path, `sparsify-scan-${await deadPid()}-ghijkl`);
    await fs.symlink(target, link);
    try {
      const removed = await sweepOrphanSpools([tmp.path]);
      expect(removed).toEqual([path.join(await fs.realpath(tmp.path), path.basename(dead))]);
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(live.file)).toBe(true);
      expect(existsSync(foreign)).toBe(true);
      expect(existsSync(open)).toBe(true);
      expect(await fs.readFile(path.join(target, "keep"), "utf8")).toBe("keep");
    } finally {
      await live.dispose();
    }
  });

  it("names the spool after the process that owns it", async () => {
    const spool = await ReadingSpool.create(["/srv/storage"], [tmp.path]);
    try {
      expect(spoolOwnerPid(path.basename(spool.dir))).toBe(process.pid);
    } finally {
      await spool.dispose();
    }
  });
});
