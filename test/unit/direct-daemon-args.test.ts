import { describe, expect, it } from "vitest";
import { directDaemonArgs } from "../../src/host/direct/direct-daemon-args.js";

const paths = { nbdSocket: "/p/ctl/nbd.sock", qmpSocket: "/p/ctl/qmp.sock", view: "/p/disk.raw" };
const blockdevs = (args: string[]) =>
  args.flatMap((a, i) => (args[i - 1] === "--blockdev" ? [JSON.parse(a) as Record<string, unknown>] : []));
const exportsOf = (args: string[]) =>
  args.flatMap((a, i) => (args[i - 1] === "--export" ? [JSON.parse(a) as Record<string, unknown>] : []));

describe("directDaemonArgs: only the leaf is writable, every format named, one writable export on a private socket", () => {
  it("a qcow2 leaf over a qcow2 base: leaf nodes writable with discard unmap, base read-only, backing pinned", () => {
    const nodes = blockdevs(
      directDaemonArgs(
        [
          { path: "/d/top.qcow2", format: "qcow2" },
          { path: "/d/base.qcow2", format: "qcow2" },
        ],
        paths,
        false,
      ),
    );
    expect(nodes).toEqual([
      { driver: "file", "node-name": "file1", filename: "/d/base.qcow2", "read-only": true },
      { driver: "qcow2", "node-name": "layer1", file: "file1", "read-only": true, backing: null },
      { driver: "file", "node-name": "file0", filename: "/d/top.qcow2", "read-only": false, discard: "unmap" },
      {
        driver: "qcow2",
        "node-name": "layer0",
        file: "file0",
        "read-only": false,
        discard: "unmap",
        backing: "layer1",
        "l2-cache-size": 32 * 1024 * 1024,
      },
    ]);
  });

  it("a raw disk: no backing key, no qcow2 cache option", () => {
    const nodes = blockdevs(directDaemonArgs([{ path: "/d/disk.raw", format: "raw" }], paths, true));
    expect(nodes[1]).toEqual({ driver: "raw", "node-name": "layer0", file: "file0", "read-only": false, discard: "unmap" });
  });

  it("exports: NBD writable on the unix socket (one client), FUSE read-only; allow-other only for a separate checker user", () => {
    for (const allowOther of [false, true]) {
      const args = directDaemonArgs([{ path: "/d/disk.qcow2", format: "qcow2" }], paths, allowOther);
      expect(exportsOf(args)).toEqual([
        { type: "nbd", id: "discard", "node-name": "layer0", name: "disk", writable: true },
        {
          type: "fuse",
          id: "view",
          "node-name": "layer0",
          mountpoint: "/p/disk.raw",
          writable: false,
          growable: false,
          "allow-other": allowOther ? "on" : "off",
        },
      ]);
      expect(JSON.parse(args[args.indexOf("--nbd-server") + 1]!)).toEqual({
        addr: { type: "unix", path: "/p/ctl/nbd.sock" },
        "max-connections": 1,
      });
      expect(args).toContain("socket,id=qmp,path=/p/ctl/qmp.sock,server=on,wait=off");
    }
  });

  it("refuses no layers, and a raw layer with a layer below it", () => {
    expect(() => directDaemonArgs([], paths, false)).toThrow(TypeError);
    expect(() =>
      directDaemonArgs(
        [
          { path: "/d/a.raw", format: "raw" },
          { path: "/d/b.qcow2", format: "qcow2" },
        ],
        paths,
        false,
      ),
    ).toThrow(/raw layer/);
  });
});
