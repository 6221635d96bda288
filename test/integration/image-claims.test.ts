/**
 * A sparsify run's claim against the real estimator: the estimate of a disk's leaf holds qemu's
 * lock on it (it does not share writes: that is how it sees a running VM), so a run launched
 * meanwhile failed with `guestfs_launch failed`. The claim stops the estimate and returns only
 * once the lock is gone: right after it, a read-write open (what virt-sparsify's qemu does) works.
 */
import "reflect-metadata";
import fs, { stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { pino } from "pino";
import type { DataSource } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { Disk } from "../../src/entities/index.js";
import { processEstimate } from "../../src/jobs/worker/estimate.processor.js";
import { openDatabase } from "../../src/server/database.js";
import { createTestDatabase, REDIS_URL } from "../support/stack.js";
import { randomBytes } from "node:crypto";
import { EventBus } from "../../src/jobs/queue/event-bus.js";
import { createRedis } from "../../src/jobs/queue/redis.js";
import { shareClaimsOnHost } from "../../src/jobs/worker/host-claims.js";
import { estimateReclaimable } from "../../src/host/estimate/estimate-reclaimable.js";
import { ImageClaimedError, ImageClaims } from "../../src/jobs/worker/image-claims.js";
import { unsharesWrite } from "../support/hold-image.js";
import { makeExt4Image } from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { scanInProcess } from "../support/scan-in-process.js";
import { makeTempDir } from "../support/temp-dir.js";

const tools = requireTools("qemu-img", "qemu-io", "qemu-storage-daemon", "fusermount3", "mke2fs", "debugfs", "dumpe2fs");

describe.runIf(tools)("a run's claim stops the estimate of its leaf and gets qemu's lock", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let image: string;
  let database: { url: string; drop: () => Promise<void> };
  let db: DataSource;

  beforeAll(async () => {
    dir = await makeTempDir("image-claims-");
    await fs.mkdir(join(dir.path, "dom"));
    image = join(dir.path, "dom", "disk.qcow2");
    await makeExt4Image(image, { format: "qcow2", deletedMiB: 40 });
    await makeExt4Image(join(dir.path, "dom", "other.qcow2"), { format: "qcow2", deletedMiB: 40 });
    database = await createTestDatabase();
    db = await openDatabase(database.url);
  }, 60_000);
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
    await dir?.remove();
  });

  it("the estimate rejects with ImageClaimedError and the image opens read-write right after the claim", async () => {
    const { ino } = await stat(image);
    const claims = new ImageClaims();
    // An estimate is short: start again until one is caught holding the lock (it always is, for a while).
    for (let tryNo = 1; tryNo <= 10; tryNo++) {
      let settled = false;
      const reading = claims.read([image], (signal) =>
        estimateReclaimable({ volumes: [{ path: image, format: "qcow2" }], signal }),
      );
      reading.then(
        () => (settled = true),
        () => (settled = true),
      );
      while (!settled && !(await unsharesWrite(ino))) await sleep(2);
      if (settled) continue;

      const release = await claims.claim([image], 10_000);
      await expect(reading).rejects.toBeInstanceOf(ImageClaimedError);
      expect(await unsharesWrite(ino)).toBe(false);
      const open = await execa("qemu-io", ["-f", "qcow2", "-c", "quit", image], { reject: false });
      expect(open.exitCode, open.stderr).toBe(0);
      // Released: the next estimate reads the disk again.
      release();
      const again = await claims.read([image], (signal) =>
        estimateReclaimable({ volumes: [{ path: image, format: "qcow2" }], signal }),
      );
      expect(again.reclaimableBytes).toBeGreaterThan(30 * 1024 * 1024);
      return;
    }
    throw new Error("no estimate was seen holding the image's lock in 10 tries");
  }, 120_000);

  it("across worker processes of a host: a claim announced on the bus stops the other's estimate; other hosts' claims do not", async () => {
    const { ino } = await stat(image);
    const prefix = `t${randomBytes(5).toString("hex")}`;
    const log = pino({ level: "silent" });
    // Each "process": its own claims and its own bus over its own Redis connections, as start-worker wires them.
    const connections: ReturnType<typeof createRedis>[] = [];
    const processOn = async (host: string) => {
      const [pub, sub] = [createRedis(REDIS_URL, "claims-pub"), createRedis(REDIS_URL, "claims-sub")];
      connections.push(pub, sub);
      const bus = new EventBus(pub, sub, prefix);
      await bus.start();
      const claims = new ImageClaims();
      shareClaimsOnHost(claims, bus, host, log);
      return { claims, bus };
    };
    const [estimating, running, elsewhere] = [await processOn("h1"), await processOn("h1"), await processOn("h2")];
    const estimateInOther = () =>
      estimating.claims.read([image], (signal) => estimateReclaimable({ volumes: [{ path: image, format: "qcow2" }], signal }));
    /** Starts estimates until one is seen holding the leaf's lock; resolves with it (wrapped: not awaited). */
    const caughtHolding = async () => {
      for (let tryNo = 1; tryNo <= 10; tryNo++) {
        let settled = false;
        const reading = estimateInOther();
        reading.then(
          () => (settled = true),
          () => (settled = true),
        );
        while (!settled && !(await unsharesWrite(ino))) await sleep(2);
        if (!settled) return { reading };
      }
      throw new Error("no estimate was seen holding the image's lock in 10 tries");
    };
    try {
      // Another host's claim of the same path: that host's file, not this one; the estimate ends normally.
      const { reading: onOtherHost } = await caughtHolding();
      (await elsewhere.claims.claim([image], 1_000))();
      expect((await onOtherHost).reclaimableBytes).toBeGreaterThan(30 * 1024 * 1024);

      const { reading } = await caughtHolding();
      const release = await running.claims.claim([image], 10_000);
      await expect(reading).rejects.toBeInstanceOf(ImageClaimedError);
      await expect.poll(() => unsharesWrite(ino), { timeout: 5_000 }).toBe(false);
      const open = await execa("qemu-io", ["-f", "qcow2", "-c", "quit", image], { reject: false });
      expect(open.exitCode, open.stderr).toBe(0);
      release();
    } finally {
      for (const p of [estimating, running, elsewhere]) await p.bus.close();
      connections.forEach((c) => c.disconnect());
    }
  }, 120_000);

  it("the worker's estimate writes nothing for a claimed disk and estimates it again once released", async () => {
    const [{ id }] = await db.query(`INSERT INTO storage_domain (name, path) VALUES ('dom', $1) RETURNING id`, [
      join(dir.path, "dom"),
    ]);
    const config = loadConfig({ STORAGE_ROOTS: dir.path });
    const log = pino({ level: "silent" });
    await scanInProcess(db, config, id);
    const claims = new ImageClaims();
    const estimate = () =>
      processEstimate({ storageDomainId: id, requestedBy: "test" }, { config, db, log, hostName: "h1", claims });
    const byAlias = async () =>
      Object.fromEntries((await db.getRepository(Disk).findBy({ storageDomainId: id })).map((d) => [d.alias, d]));

    const release = await claims.claim([image], 10_000);
    expect(await estimate()).toEqual({ estimated: 1, unavailable: 0 });
    let disks = await byAlias();
    expect(disks.other!.reclaimableEstimate).toBeGreaterThan(30 * 1024 * 1024);
    expect(disks.disk!.estimatedAt).toBeNull();
    expect(disks.disk!.estimateUnavailableReason).toBeNull();

    release();
    expect(await estimate()).toEqual({ estimated: 2, unavailable: 0 });
    disks = await byAlias();
    expect(disks.disk!.reclaimableEstimate).toBeGreaterThan(30 * 1024 * 1024);
  }, 120_000);

  it("a disk a job locked after the estimate listed its domain is not read (its run may be launching elsewhere)", async () => {
    const root = join(dir.path, "dom2");
    await fs.mkdir(root);
    await Promise.all(["a", "b"].map((n) => makeExt4Image(join(root, `${n}.qcow2`), { format: "qcow2", deletedMiB: 20 })));
    const [{ id }] = await db.query(`INSERT INTO storage_domain (name, path) VALUES ('dom2', $1) RETURNING id`, [root]);
    const config = loadConfig({ STORAGE_ROOTS: dir.path });
    await scanInProcess(db, config, id);
    const disks = await db.getRepository(Disk).findBy({ storageDomainId: id });
    const [first, second] = disks.sort((x, y) => x.alias.localeCompare(y.alias));
    // The first read locks the other disk, as sparsifyDisk does while the estimate is under way.
    class LockingClaims extends ImageClaims {
      private locked = false;
      override async read<T>(paths: readonly string[], read: (signal: AbortSignal) => Promise<T>): Promise<T> {
        if (!this.locked) {
          this.locked = true;
          await db.query(`UPDATE disk SET status = 'LOCKED' WHERE id = $1`, [
            paths[0]!.endsWith("a.qcow2") ? second!.id : first!.id,
          ]);
        }
        return super.read(paths, read);
      }
    }
    const result = await processEstimate(
      { storageDomainId: id, requestedBy: "test" },
      { config, db, log: pino({ level: "silent" }), hostName: "h1", claims: new LockingClaims() },
    );
    expect(result).toEqual({ estimated: 1, unavailable: 0 });
    const after = await db.getRepository(Disk).findBy({ storageDomainId: id });
    expect(after.map((d) => [d.status, d.estimatedAt === null]).sort()).toEqual([
      ["LOCKED", true],
      ["OK", false],
    ]);
  }, 120_000);
});
