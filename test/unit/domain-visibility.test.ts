import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkVisibility } from "../../src/host/domain-visibility.js";
import { makeTempDir } from "../support/temp-dir.js";

/** The host-side check takes the caller's domain records (the worker reads them from the database). */
describe("checkVisibility", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let root: string;

  beforeAll(async () => {
    dir = await makeTempDir("visibility-");
    root = path.join(dir.path, "root");
    await fs.mkdir(path.join(root, "ok"), { recursive: true });
    await fs.writeFile(path.join(root, "file"), "");
    await fs.mkdir(path.join(dir.path, "outside"));
    await fs.symlink(path.join(dir.path, "outside"), path.join(root, "escape"));
  });
  afterAll(() => dir.remove());

  it("returns the caller's own records: visible ones, unreachable ones with the reason, others left out", async () => {
    const ok = { id: "1", path: path.join(root, "ok") };
    const missing = { id: "2", path: path.join(root, "gone") };
    const file = { id: "3", path: path.join(root, "file") };
    const escape = { id: "4", path: path.join(root, "escape") };
    const elsewhere = { id: "5", path: path.join(dir.path, "outside") };
    const r = await checkVisibility([ok, missing, file, escape, elsewhere], [root], "h1", 5_000);
    expect(r.visible).toEqual([ok]);
    expect(r.visible[0]).toBe(ok);
    expect(r.unreachable).toEqual([
      { domain: missing, reason: `${missing.path} does not exist on host h1` },
      { domain: file, reason: `${file.path} is not a directory on host h1` },
      { domain: escape, reason: `${escape.path} resolves (through a symlink) outside the storage roots on host h1` },
    ]);
  });
});
