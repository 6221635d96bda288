import fs from "node:fs/promises";
import { execa } from "execa";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import net from "node:net";
import { SockdirTracker, sweepDeadSockdirs } from "../../src/host/libguestfs-sockdirs.js";
import { socketInodes } from "../../src/host/process-tree.js";
import { makeTempDir } from "../support/temp-dir.js";
import { requireRoot } from "../support/require-tool.js";

/** A unix socket file nobody is bound to any more: what a SIGKILLed libguestfs run leaves. */
async function deadSocket(file: string): Promise<void> {
  // A clean close would unlink it: bind in a child that is then killed.
  const script = `require("net").createServer().listen(process.argv[1], () => process.kill(process.pid, "SIGKILL"))`;
  await execa(process.execPath, ["-e", script, file], { reject: false });
  if (!(await fs.lstat(file)).isSocket()) throw new Error(`no socket at ${file}`);
}

const exists = (p: string) =>
  fs.lstat(p).then(
    () => true,
    () => false,
  );
const isRoot = requireRoot("the sweep deletes only root-owned socket dirs");

/**
 * The sweep runs as root in a world-writable /tmp: it may delete only directories it can prove
 * are libguestfs socket dirs of its own, and never follow a link. Each planted entry here would
 * be removed (or followed) by a sweep that only looks for a `guestfsd.sock` name.
 */
describe.runIf(isRoot)("libguestfs socket-dir sweep is symlink-safe", () => {
  let parent: { path: string; remove: () => Promise<void> };
  let canaries: { path: string; remove: () => Promise<void> };
  let canaryFile: string;

  beforeEach(async () => {
    parent = await makeTempDir("sockdir-parent-");
    canaries = await makeTempDir("sockdir-canary-");
    canaryFile = path.join(canaries.path, "canary.txt");
    await fs.writeFile(canaryFile, "must survive");
    await deadSocket(path.join(canaries.path, "guestfsd.sock"));
  });
  afterEach(async () => {
    await parent.remove();
    await canaries.remove();
  });

  /** Plants every hostile shape plus one genuine dead dir; returns the names that must stay. */
  async function plant(): Promise<{ genuine: string; hostile: string[] }> {
    const p = (name: string) => path.join(parent.path, name);
    const genuine = "libguestfsDEAD01";
    await fs.mkdir(p(genuine), { mode: 0o755 });
    await deadSocket(path.join(p(genuine), "guestfsd.sock"));

    await fs.symlink(canaries.path, p("libguestfsLINK01")); // the dir itself a link

    await fs.mkdir(p("libguestfsOTHER1"), { mode: 0o700 }); // someone else's
    await deadSocket(path.join(p("libguestfsOTHER1"), "guestfsd.sock"));
    await fs.chown(path.join(p("libguestfsOTHER1"), "guestfsd.sock"), 65534, 65534);
    await fs.chown(p("libguestfsOTHER1"), 65534, 65534);

    await fs.mkdir(p("libguestfsWRITE1"));
    await fs.chmod(p("libguestfsWRITE1"), 0o777); // anyone could have planted its content
    await deadSocket(path.join(p("libguestfsWRITE1"), "guestfsd.sock"));

    await fs.mkdir(p("libguestfsINLNK1"), { mode: 0o755 }); // a link inside
    await deadSocket(path.join(p("libguestfsINLNK1"), "guestfsd.sock"));
    await fs.symlink(canaries.path, path.join(p("libguestfsINLNK1"), "data"));

    await fs.mkdir(p("libguestfsSKLNK1"), { mode: 0o755 }); // the socket name is a link to a file
    await fs.symlink(canaryFile, path.join(p("libguestfsSKLNK1"), "guestfsd.sock"));

    await fs.mkdir(path.join(p("libguestfsSUBDR1"), "x"), { recursive: true, mode: 0o755 }); // more than sockets
    await fs.chmod(p("libguestfsSUBDR1"), 0o755);
    await deadSocket(path.join(p("libguestfsSUBDR1"), "guestfsd.sock"));
    await fs.writeFile(path.join(p("libguestfsSUBDR1"), "x", "file"), "keep");

    return {
      genuine,
      hostile: [
        "libguestfsLINK01",
        "libguestfsOTHER1",
        "libguestfsWRITE1",
        "libguestfsINLNK1",
        "libguestfsSKLNK1",
        "libguestfsSUBDR1",
      ],
    };
  }

  async function expectSurvivors(hostile: string[]) {
    for (const name of hostile) expect({ name, kept: await exists(path.join(parent.path, name)) }).toEqual({ name, kept: true });
    expect(await fs.readFile(canaryFile, "utf8")).toBe("must survive");
    expect((await fs.readdir(canaries.path)).sort()).toEqual(["canary.txt", "guestfsd.sock"]);
  }

  it("the worker-start sweep removes only the genuine dead dir", async () => {
    const { genuine, hostile } = await plant();
    const removed = await sweepDeadSockdirs(parent.path);
    expect(removed).toEqual([path.join(parent.path, genuine)]);
    expect(await exists(path.join(parent.path, genuine))).toBe(false);
    await expectSurvivors(hostile);
  });

  it("the after-run cleanup removes only the genuine dead dir", async () => {
    const tracker = await SockdirTracker.start(parent.path);
    const { genuine, hostile } = await plant();
    expect(await tracker.cleanup()).toEqual([path.join(parent.path, genuine)]);
    await expectSurvivors(hostile);
  });
});

/** The run watch reads every open fd of its tree only while a new socket dir waits to be attributed. */
describe("SockdirTracker.hasUnattributed", () => {
  it("is true from a new dir's appearance until a socket of ours bound in it is seen, false for dirs that were there before", async () => {
    const parent = await makeTempDir("sockdir-attr-");
    const server = net.createServer();
    try {
      await fs.mkdir(path.join(parent.path, "libguestfsOLD001"));
      const tracker = await SockdirTracker.start(parent.path);
      expect(await tracker.hasUnattributed()).toBe(false);
      const dir = path.join(parent.path, "libguestfsNEW001");
      await fs.mkdir(dir);
      expect(await tracker.hasUnattributed()).toBe(true);
      await tracker.attribute(new Set(await socketInodes(process.pid))); // nothing bound there yet
      expect(await tracker.hasUnattributed()).toBe(true);
      await new Promise<void>((resolve) => server.listen(path.join(dir, "guestfsd.sock"), resolve));
      expect(tracker.attributedCount).toBe(0);
      await tracker.attribute(new Set(await socketInodes(process.pid)));
      expect(await tracker.hasUnattributed()).toBe(false);
      expect(tracker.attributedCount).toBe(1); // the run watch stops reading fds from here on
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await parent.remove();
    }
  });
});
