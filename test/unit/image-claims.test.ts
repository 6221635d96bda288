import { symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { ImageClaimedError, ImageClaims } from "../../src/jobs/worker/image-claims.js";
import { makeTempDir } from "../support/temp-dir.js";

/** A reader that runs until its signal aborts, then takes `closeMs` to let go of its image. */
function readUntilStopped(claims: ImageClaims, paths: string[], closeMs = 0) {
  const log: string[] = [];
  const done = claims.read(paths, async (signal) => {
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    await sleep(closeMs);
    log.push("closed");
    throw signal.reason;
  });
  done.catch(() => undefined);
  return { done, log };
}

describe("ImageClaims: a run claims its leaf from this process's estimates", () => {
  it("stops a reader of the claimed image and returns only once it has let go", async () => {
    const claims = new ImageClaims();
    const reader = readUntilStopped(claims, ["/no/such/a.qcow2", "/no/such/base.qcow2"], 50);
    await sleep(5);
    await claims.claim(["/no/such/a.qcow2"], 5_000);
    expect(reader.log).toEqual(["closed"]);
    await expect(reader.done).rejects.toBeInstanceOf(ImageClaimedError);
    expect(claims.readingCount).toBe(0);
  });

  it("leaves readers of other images alone", async () => {
    const claims = new ImageClaims();
    const other = readUntilStopped(claims, ["/no/such/b.qcow2"]);
    await sleep(5);
    await claims.claim(["/no/such/a.qcow2"], 5_000);
    expect(other.log).toEqual([]);
    expect(claims.readingCount).toBe(1);
  });

  it("refuses a new reading while claimed, and allows it again after the release (twice is harmless)", async () => {
    const claims = new ImageClaims();
    const release = await claims.claim(["/no/such/a.qcow2"], 5_000);
    let opened = false;
    await expect(claims.read(["/no/such/a.qcow2"], async () => (opened = true))).rejects.toBeInstanceOf(ImageClaimedError);
    expect(opened).toBe(false);
    release();
    release();
    await expect(claims.read(["/no/such/a.qcow2"], async () => "read")).resolves.toBe("read");
  });

  it("stays claimed until every claim of the image is released", async () => {
    const claims = new ImageClaims();
    const first = await claims.claim(["/no/such/a.qcow2"], 5_000);
    const second = await claims.claim(["/no/such/a.qcow2"], 5_000);
    first();
    await expect(claims.read(["/no/such/a.qcow2"], async () => "read")).rejects.toBeInstanceOf(ImageClaimedError);
    second();
    await expect(claims.read(["/no/such/a.qcow2"], async () => "read")).resolves.toBe("read");
  });

  it("waits at most waitMs for a reader that does not let go", async () => {
    const claims = new ImageClaims();
    const stuck = readUntilStopped(claims, ["/no/such/a.qcow2"], 60_000);
    await sleep(5);
    const started = Date.now();
    await claims.claim(["/no/such/a.qcow2"], 100);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(stuck.log).toEqual([]);
  });

  it("names an image by its real path: a path through a symlink is the same image", async () => {
    const dir = await makeTempDir("image-claims-");
    try {
      await writeFile(join(dir.path, "a.qcow2"), "");
      await symlink(dir.path, join(dir.path, "via-link"));
      const claims = new ImageClaims();
      const reader = readUntilStopped(claims, [join(dir.path, "via-link", "a.qcow2")]);
      await sleep(5);
      await claims.claim([join(dir.path, "a.qcow2")], 5_000);
      expect(reader.log).toEqual(["closed"]);
    } finally {
      await dir.remove();
    }
  });
});
