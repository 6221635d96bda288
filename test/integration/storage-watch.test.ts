/**
 * The pieces that notice vanished storage and stuck processes, against real files, a real paused
 * FUSE server, real processes and PostgreSQL (no virt-sparsify: the e2e file runs those).
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { DiskFormat, DiskStatus } from "../../src/entities/enums.js";
import { processEstimate } from "../../src/jobs/worker/estimate.processor.js";
import { Disk, StorageDomain } from "../../src/entities/index.js";
import { isRunning, processTree } from "../../src/host/process-tree.js";
import { probePath, probePaths } from "../../src/host/storage-probe.js";
import { countingSpawns } from "../support/counting-spawns.js";
import { watchStorage } from "../../src/host/storage-watchdog.js";
import { guardStorage } from "../../src/jobs/worker/storage-guard.js";
import { refreshAssessments } from "../../src/services/disk-assessment.service.js";
import { releaseGoneSurvivors } from "../../src/services/run-survivors.service.js";
import { mountPausable, pausableDomain, type PausableMount } from "../support/fuse-mounts.js";
import { requireRoot, requireTools } from "../support/require-tool.js";
import { startStack, type Stack } from "../support/stack.js";
import { makeTempDir } from "../support/temp-dir.js";
import { waitFor } from "../support/wait-for.js";

const tools = requireTools("bindfs", "fusermount3", "stat", "find");
const isRoot = requireRoot("FUSE mounts that pause");

describe.runIf(tools && isRoot)("probePath and watchStorage", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let mount: PausableMount | undefined;
  beforeAll(async () => {
    dir = await makeTempDir("storage-watch-");
  });
  afterAll(async () => {
    await mount?.teardown();
    await dir.remove();
  });

  it("a file and a directory answer with their device and inode; a missing path is GONE", async () => {
    const file = path.join(dir.path, "a.raw");
    await fs.writeFile(file, "x");
    const st = await fs.stat(file);
    expect(await probePath(file, 5_000)).toEqual({ ok: true, dev: String(st.dev), ino: String(st.ino), type: "regular file" });
    expect(await probePath(dir.path, 5_000, { readDir: true })).toMatchObject({ ok: true, type: "directory" });
    expect(await probePath(path.join(dir.path, "gone", "b.raw"), 5_000)).toMatchObject({ ok: false, condition: "GONE" });
  });

  it("one child reads a directory: its device and inode, whatever glob characters its name holds; GONE, files as stat", async () => {
    // Taken as a glob, this name would not match itself: the probe would find nothing and say UNREADABLE.
    const odd = path.join(dir.path, "a[b]*?\\c d");
    await fs.mkdir(odd);
    for (const name of ["1.raw", "2.raw", "3.raw"]) await fs.writeFile(path.join(odd, name), "x");
    const st = await fs.stat(odd);
    const probe = { ok: true, dev: String(st.dev), ino: String(st.ino), type: "directory" };
    expect(await probePath(odd, 5_000, { readDir: true })).toEqual(probe);
    const empty = path.join(dir.path, "empty");
    await fs.mkdir(empty);
    expect(await probePath(empty, 5_000, { readDir: true })).toMatchObject({ ok: true, type: "directory" });
    const file = path.join(odd, "1.raw");
    const fst = await fs.stat(file);
    expect(await probePath(file, 5_000, { readDir: true })).toEqual({
      ok: true,
      dev: String(fst.dev),
      ino: String(fst.ino),
      type: "regular file",
    });
    expect(await probePath(path.join(dir.path, "gone"), 5_000, { readDir: true })).toMatchObject({
      ok: false,
      condition: "GONE",
    });
  });

  it("a paused FUSE server: HUNG at the deadline, even where the directory's stat is still cached", async () => {
    const paused = await pausableDomain(dir.path, "domain");
    const domain = paused.domain;
    mount = paused.mount;
    expect(await probePath(domain, 5_000, { readDir: true })).toMatchObject({ ok: true });
    mount.pause();
    const t0 = performance.now();
    const probe = await probePath(domain, 1_000, { readDir: true });
    expect(probe).toEqual({ ok: false, condition: "HUNG", reason: `${domain} did not answer within 1000 ms (storage hung)` });
    expect(performance.now() - t0).toBeLessThan(4_000);
    mount.resume();
  });

  it("probePaths: one child for an image and its domain, the same answers as probePath; each alone when one fails", async () => {
    const domain = path.join(dir.path, "dom[1]*?");
    await fs.mkdir(domain);
    const image = path.join(domain, "disk[a].qcow2");
    await fs.writeFile(image, "x");
    await fs.writeFile(path.join(domain, "other.raw"), "y");
    const targets = [{ path: domain, readDir: true }, { path: image }];
    const alone = async () => [await probePath(domain, 5_000, { readDir: true }), await probePath(image, 5_000)];
    const both = await countingSpawns(() => probePaths(targets, 5_000));
    expect(both.result).toEqual(await alone());
    expect(both.result.map((p) => p.ok && p.type)).toEqual(["directory", "regular file"]);
    expect(both.spawns).toBe(1);
    // A job's guard takes both identities in that one child, and watches the domain as a directory.
    const guarded = await countingSpawns(() => guardStorage([domain, image], { intervalMs: 60_000, timeoutMs: 5_000 }));
    guarded.result.stop();
    expect(guarded.spawns).toBe(1);
    expect(guarded.result.lost).toBeNull();
    // The image replaced by a directory: find would read it and quit early; each path is asked alone.
    await fs.rm(image);
    await fs.mkdir(image);
    await fs.writeFile(path.join(image, "inside.raw"), "z");
    const swapped = await countingSpawns(() => probePaths(targets, 5_000));
    expect(swapped.result).toEqual(await alone());
    expect(swapped.result[1]).toMatchObject({ ok: true, type: "directory" });
    expect(swapped.spawns).toBe(3);
    // Gone: the very answer probePath gives, not a wrong line taken for it.
    await fs.rm(image, { recursive: true });
    const gone = await probePaths(targets, 5_000);
    expect(gone).toEqual(await alone());
    expect(gone[1]).toMatchObject({ ok: false, condition: "GONE" });
  });

  it("probePaths on a paused FUSE server: every path HUNG at the deadline, from one child", async () => {
    const { domain, mount: paused } = await pausableDomain(dir.path, "domain2");
    try {
      const targets = [{ path: domain, readDir: true }, { path: path.join(domain, "a.raw") }];
      expect((await probePaths(targets, 5_000)).every((p) => p.ok)).toBe(true);
      paused.pause();
      const t0 = performance.now();
      const hung = await countingSpawns(() => probePaths(targets, 1_000));
      const reason = `${domain} or ${path.join(domain, "a.raw")} did not answer within 1000 ms (storage hung)`;
      expect(hung.result).toEqual([0, 1].map(() => ({ ok: false, condition: "HUNG", reason })));
      expect(hung.spawns).toBe(1);
      expect(performance.now() - t0).toBeLessThan(4_000);
    } finally {
      await paused.teardown();
    }
  });

  it("the watchdog reports a replaced image (new inode) and a removed one, once", async () => {
    const file = path.join(dir.path, "leaf.qcow2");
    await fs.writeFile(file, "old");
    const first = await probePath(file, 5_000);
    if (!first.ok) throw new Error("probe failed");
    const lost: string[] = [];
    const watch = watchStorage({
      paths: [{ path: file, dev: first.dev, ino: first.ino }],
      intervalMs: 50,
      timeoutMs: 2_000,
      onLost: (r) => lost.push(r),
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(lost).toEqual([]);
    await fs.writeFile(`${file}.new`, "new");
    await fs.rename(`${file}.new`, file); // same path, another file
    await waitFor(() => lost.length > 0, { timeout: 5_000, what: "the watchdog" });
    expect(lost).toEqual([`${file} is no longer the file the run started on (device or inode changed: unmounted or replaced)`]);
    expect(watch.lost).toBe(lost[0]);
    watch.stop();

    const again = await probePath(file, 5_000);
    if (!again.ok) throw new Error("probe failed");
    const gone: string[] = [];
    const watch2 = watchStorage({
      paths: [{ path: file, dev: again.dev, ino: again.ino }],
      intervalMs: 50,
      timeoutMs: 2_000,
      onLost: (r) => gone.push(r),
    });
    await fs.rm(file);
    await waitFor(() => gone.length > 0, { timeout: 5_000, what: "the watchdog" });
    await new Promise((r) => setTimeout(r, 200));
    expect(gone).toEqual([`${file} does not exist (unmounted or removed)`]);
    watch2.stop();
  });
});

describe("isRunning", () => {
  it("a zombie (exited, never reaped) is not running; a sleeping process is", async () => {
    // The inner sleep exits at once; its parent exec'd into a sleep that never reaps it.
    const parent = execa("sh", ["-c", "sleep 0 & exec sleep 30"], { reject: false });
    try {
      const zombie = (await waitFor(async () => (await processTree(parent.pid!)).find((p) => p.pid !== parent.pid), {
        timeout: 5_000,
        what: "the child",
      }))!;
      await waitFor(async () => (await fs.readFile(`/proc/${zombie.pid}/stat`, "utf8")).includes(") Z "), {
        timeout: 5_000,
        what: "the zombie",
      });
      expect(await isRunning(zombie)).toBe(false);
      const [self] = (await processTree(parent.pid!)).filter((p) => p.pid === parent.pid);
      expect(await isRunning(self!)).toBe(true);
      expect(await isRunning({ ...self!, startTime: "1" })).toBe(false); // a recycled pid is another process
    } finally {
      parent.kill("SIGKILL");
      await parent;
    }
  });
});

describe.runIf(tools && isRoot)("with PostgreSQL", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  it("keeps RUN_STILL_ALIVE while a recorded process lives, releases the disk once it is gone, only on its host", async () => {
    const domain = await stack.db.getRepository(StorageDomain).save({ name: "d", path: path.join(stack.root, "d") });
    const disk = await stack.db
      .getRepository(Disk)
      .save({ storageDomainId: domain.id, alias: "a", format: DiskFormat.RAW, status: DiskStatus.OK });
    const sleeper = execa("sleep", ["30"], { reject: false });
    const [ref] = await processTree(sleeper.pid!);
    const runStillAlive = {
      jobId: randomUUID(),
      host: "host-a",
      processes: [{ pid: ref!.pid, startTime: ref!.startTime }],
      since: new Date().toISOString(),
    };
    await stack.db.getRepository(Disk).update({ id: disk.id }, { runStillAlive });
    await refreshAssessments(stack.db.manager, [disk.id]);
    const blockers = async () =>
      (await stack.db.getRepository(Disk).findOneByOrFail({ id: disk.id })).blockers.map((b) => b.code);
    expect(await blockers()).toContain("RUN_STILL_ALIVE");

    expect(await releaseGoneSurvivors(stack.db, "host-a")).toEqual([]);
    sleeper.kill("SIGKILL");
    await sleeper;
    expect(await releaseGoneSurvivors(stack.db, "host-b")).toEqual([]); // not its processes to judge
    expect(await releaseGoneSurvivors(stack.db, "host-a")).toEqual([disk.id]);
    expect(await blockers()).not.toContain("RUN_STILL_ALIVE");
    expect((await stack.db.getRepository(Disk).findOneByOrFail({ id: disk.id })).runStillAlive).toBeNull();
  });

  it("an estimate over a hung domain marks its disks STORAGE_UNAVAILABLE at the deadline instead of waiting on it", async () => {
    const real = path.join(stack.root, "est-real");
    const dir = path.join(stack.root, "est");
    await fs.mkdir(real);
    await fs.mkdir(dir);
    const mount = await mountPausable(real, dir);
    try {
      const domain = await stack.db.getRepository(StorageDomain).save({ name: "est", path: dir });
      const disks = await stack.db
        .getRepository(Disk)
        .save([1, 2].map((i) => ({ storageDomainId: domain.id, alias: `e${i}`, format: DiskFormat.RAW, status: DiskStatus.OK })));
      mount.pause();
      const t0 = performance.now();
      const result = await processEstimate(
        { storageDomainId: domain.id, requestedBy: "test" },
        {
          config: { ...stack.config, STORAGE_CHECK_TIMEOUT_MS: 1_000 },
          db: stack.db,
          log: pino({ level: "silent" }),
          hostName: "host-a",
        },
      );
      expect(performance.now() - t0).toBeLessThan(5_000);
      expect(result).toEqual({ estimated: 0, unavailable: 2 });
      for (const d of disks)
        expect((await stack.db.getRepository(Disk).findOneByOrFail({ id: d.id })).estimateUnavailableReason).toBe(
          "STORAGE_UNAVAILABLE",
        );
    } finally {
      await mount.teardown();
    }
  });
});
