import { describe, expect, it } from "vitest";
import { fuseExportArgs } from "../../src/host/estimate/fuse-export-args.js";
import { sandboxArgv } from "../../src/host/estimate/sandbox-argv.js";
import { parsePasswdLine } from "../../src/host/parser-user.js";
import { viewPlan } from "../../src/host/estimate/view-plan.js";

describe("sandboxArgv", () => {
  const tools = { setpriv: "/usr/bin/setpriv", prlimit: "/usr/bin/prlimit", unshare: "/usr/bin/unshare" };
  const cmd = ["dumpe2fs", "/tmp/v/disk.raw?offset=1048576"];
  const limits = ["/usr/bin/prlimit", "--as=1073741824", "--cpu=30", "--nproc=64", "--fsize=0", "--core=0", "--nofile=64", "--"];

  it("as root: limits, no network, private mounts, the parser user, no capabilities, no_new_privs, dies with the worker", () => {
    expect(sandboxArgv(cmd, { isRoot: true, ...tools, uid: 998, gid: 997 })).toEqual([
      ...limits,
      "/usr/bin/unshare",
      "--net",
      "--mount",
      "--ipc",
      "--",
      "/usr/bin/setpriv",
      "--reuid=998",
      "--regid=997",
      "--clear-groups",
      "--inh-caps=-all",
      "--ambient-caps=-all",
      "--bounding-set=-all",
      "--no-new-privs",
      "--pdeathsig=KILL",
      "--",
      ...cmd,
    ]);
  });

  it("not root: the same limits and namespaces inside a user namespace", () => {
    expect(sandboxArgv(cmd, { isRoot: false, ...tools })).toEqual([
      ...limits,
      "/usr/bin/unshare",
      "--user",
      "--net",
      "--mount",
      "--ipc",
      "--",
      "/usr/bin/setpriv",
      "--no-new-privs",
      "--inh-caps=-all",
      "--pdeathsig=KILL",
      "--",
      ...cmd,
    ]);
  });

  it("as root without a parser user (or with uid 0) there is no argv at all", () => {
    expect(() => sandboxArgv(cmd, { isRoot: true, ...tools })).toThrow(/parser user/);
    expect(() => sandboxArgv(cmd, { isRoot: true, ...tools, uid: 0, gid: 0 })).toThrow(/parser user/);
  });

  it("limits can only be overridden one by one, the others stay", () => {
    expect(sandboxArgv(cmd, { isRoot: false, ...tools, limits: { cpuSeconds: 1 } }).slice(0, 8)).toEqual(
      limits.map((a) => (a === "--cpu=30" ? "--cpu=1" : a)),
    );
  });
});

describe("parsePasswdLine", () => {
  it.each([
    ["sparsify-parser:x:998:997::/nonexistent:/usr/sbin/nologin", { uid: 998, gid: 997 }],
    ["root:x:0:0:root:/root:/bin/bash", { uid: 0, gid: 0 }],
    ["", undefined],
    ["broken:x::1::/:", undefined],
    ["broken:x:a:b::/:", undefined],
  ])("%j", (line, ids) => {
    expect(parsePasswdLine(line)).toEqual(ids);
  });
});

describe("viewPlan", () => {
  it.each([
    ["raw, parser as the worker", [{ path: "/d/a.raw", format: "raw" as const }], false, "direct"],
    [
      "raw, parser drops to nobody: it must not reach the image itself",
      [{ path: "/d/a.raw", format: "raw" as const }],
      true,
      "fuse",
    ],
    [
      "raw with '?' in its path (e2fsprogs io-manager syntax)",
      [{ path: "/d/a?offset=1.raw", format: "raw" as const }],
      false,
      "fuse",
    ],
    ["qcow2", [{ path: "/d/a.qcow2", format: "qcow2" as const }], false, "fuse"],
    [
      "qcow2 on a raw base",
      [
        { path: "/d/t.qcow2", format: "qcow2" as const },
        { path: "/d/b.raw", format: "raw" as const },
      ],
      false,
      "fuse",
    ],
  ])("%s", (_name, layers, drops, expected) => {
    expect(viewPlan(layers, drops)).toBe(expected);
  });
});

describe("fuseExportArgs", () => {
  const json = (args: string[]) => args.filter((_, i) => i % 2 === 1).map((a) => JSON.parse(a) as Record<string, unknown>);

  it("single qcow2: read-only file and format nodes, no backing opened, read-only export", () => {
    const args = fuseExportArgs([{ path: "/d/a.qcow2", format: "qcow2" }], "/tmp/v/disk.raw", true);
    expect(args.filter((_, i) => i % 2 === 0)).toEqual(["--blockdev", "--blockdev", "--export"]);
    expect(json(args)).toEqual([
      { driver: "file", "node-name": "file0", filename: "/d/a.qcow2", "read-only": true },
      { driver: "qcow2", "node-name": "layer0", file: "file0", "read-only": true, backing: null },
      {
        type: "fuse",
        id: "view",
        "node-name": "layer0",
        mountpoint: "/tmp/v/disk.raw",
        writable: false,
        growable: false,
        "allow-other": "on",
      },
    ]);
  });

  it("chain: base first, every backing named explicitly, formats never left to probing", () => {
    const nodes = json(
      fuseExportArgs(
        [
          { path: "/d/top.qcow2", format: "qcow2" },
          { path: "/d/mid.qcow2", format: "qcow2" },
          { path: "/d/base.raw", format: "raw" },
        ],
        "/m",
        false,
      ),
    );
    expect(nodes.map((n) => [n["node-name"], n.driver, n.backing])).toEqual([
      ["file2", "file", undefined],
      ["layer2", "raw", undefined],
      ["file1", "file", undefined],
      ["layer1", "qcow2", "layer2"],
      ["file0", "file", undefined],
      ["layer0", "qcow2", "layer1"],
      ["layer0", undefined, undefined],
    ]);
    expect(nodes.every((n) => n["read-only"] === true || n.type === "fuse")).toBe(true);
    expect(nodes.at(-1)).toMatchObject({ writable: false, "allow-other": "off" });
  });

  it("window: a raw node with offset and size over the disk, exported instead of the disk", () => {
    const nodes = json(
      fuseExportArgs([{ path: "/d/a.qcow2", format: "qcow2" }], "/m", true, { offset: 1048576, size: 419430400 }),
    );
    expect(nodes.at(-2)).toEqual({
      driver: "raw",
      "node-name": "window",
      file: "layer0",
      offset: 1048576,
      size: 419430400,
      "read-only": true,
    });
    expect(nodes.at(-1)).toMatchObject({ type: "fuse", "node-name": "window", writable: false });
  });

  it("refuses a raw layer above another one", () => {
    expect(() =>
      fuseExportArgs(
        [
          { path: "/a.raw", format: "raw" },
          { path: "/b.raw", format: "raw" },
        ],
        "/m",
        false,
      ),
    ).toThrow(/backing/);
  });
});
