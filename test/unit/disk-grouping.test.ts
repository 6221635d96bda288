import { describe, expect, it } from "vitest";
import { aliasOf, groupVolumesIntoDisks, type DiskGroup, type VolumeLink } from "../../src/domain/disk-grouping.js";

const vol = (relPath: string, backingRelPath: string | null = null, problem: string | null = null): VolumeLink => ({
  relPath,
  backingRelPath,
  problem,
});

const byBase = (groups: DiskGroup[]) => new Map(groups.map((g) => [g.baseRelPath, g]));

describe("groupVolumesIntoDisks", () => {
  it.each<{ name: string; volumes: VolumeLink[]; expected: DiskGroup[] }>([
    {
      name: "single raw image → one disk of one volume",
      volumes: [vol("vm1.raw")],
      expected: [
        { baseRelPath: "vm1.raw", volumeRelPaths: ["vm1.raw"], alias: "vm1", templateBaseRelPath: null, chainProblem: null },
      ],
    },
    {
      name: "leaf + 2 snapshot layers → one disk, leaf first, identity = lowest",
      volumes: [vol("db.qcow2"), vol("db.snap1.qcow2", "db.qcow2"), vol("db.snap2.qcow2", "db.snap1.qcow2")],
      expected: [
        {
          baseRelPath: "db.qcow2",
          volumeRelPaths: ["db.snap2.qcow2", "db.snap1.qcow2", "db.qcow2"],
          alias: "db",
          templateBaseRelPath: null,
          chainProblem: null,
        },
      ],
    },
    {
      name: "input order does not matter (leaf listed first)",
      volumes: [vol("db.snap2.qcow2", "db.snap1.qcow2"), vol("db.snap1.qcow2", "db.qcow2"), vol("db.qcow2")],
      expected: [
        {
          baseRelPath: "db.qcow2",
          volumeRelPaths: ["db.snap2.qcow2", "db.snap1.qcow2", "db.qcow2"],
          alias: "db",
          templateBaseRelPath: null,
          chainProblem: null,
        },
      ],
    },
    {
      name: "two independent disks → two groups, sorted by top path",
      volumes: [vol("b.qcow2"), vol("a.raw")],
      expected: [
        { baseRelPath: "a.raw", volumeRelPaths: ["a.raw"], alias: "a", templateBaseRelPath: null, chainProblem: null },
        { baseRelPath: "b.qcow2", volumeRelPaths: ["b.qcow2"], alias: "b", templateBaseRelPath: null, chainProblem: null },
      ],
    },
    {
      name: "nested directories in relPath → alias is the file name only",
      volumes: [vol("images/1f/base.qcow2"), vol("images/1f/leaf.qcow2", "images/1f/base.qcow2")],
      expected: [
        {
          baseRelPath: "images/1f/base.qcow2",
          volumeRelPaths: ["images/1f/leaf.qcow2", "images/1f/base.qcow2"],
          alias: "base",
          templateBaseRelPath: null,
          chainProblem: null,
        },
      ],
    },
  ])("$name", ({ volumes, expected }) => {
    expect(groupVolumesIntoDisks(volumes)).toEqual(expected);
  });

  it("template with two clones → 3 disks; clones point at the template's base; the template has none", () => {
    const groups = groupVolumesIntoDisks([
      vol("tpl.qcow2"),
      vol("clone-a.qcow2", "tpl.qcow2"),
      vol("clone-b.qcow2", "tpl.qcow2"),
    ]);
    expect(groups).toHaveLength(3);
    const g = byBase(groups);
    expect(g.get("tpl.qcow2")).toEqual({
      baseRelPath: "tpl.qcow2",
      volumeRelPaths: ["tpl.qcow2"],
      alias: "tpl",
      templateBaseRelPath: null,
      chainProblem: null,
    });
    expect(g.get("clone-a.qcow2")).toMatchObject({
      volumeRelPaths: ["clone-a.qcow2"],
      templateBaseRelPath: "tpl.qcow2",
      chainProblem: null,
    });
    expect(g.get("clone-b.qcow2")).toMatchObject({
      volumeRelPaths: ["clone-b.qcow2"],
      templateBaseRelPath: "tpl.qcow2",
      chainProblem: null,
    });
  });

  it("template with a snapshot layer below it → the template owns both; clones point at the template's lowest volume", () => {
    const groups = groupVolumesIntoDisks([
      vol("tpl-base.qcow2"),
      vol("tpl-top.qcow2", "tpl-base.qcow2"),
      vol("clone-a.qcow2", "tpl-top.qcow2"),
      vol("clone-b.qcow2", "tpl-top.qcow2"),
    ]);
    expect(groups).toHaveLength(3);
    const g = byBase(groups);
    expect(g.get("tpl-base.qcow2")).toMatchObject({
      volumeRelPaths: ["tpl-top.qcow2", "tpl-base.qcow2"],
      templateBaseRelPath: null,
      alias: "tpl-base",
    });
    expect(g.get("clone-a.qcow2")).toMatchObject({ volumeRelPaths: ["clone-a.qcow2"], templateBaseRelPath: "tpl-base.qcow2" });
    expect(g.get("clone-b.qcow2")).toMatchObject({ volumeRelPaths: ["clone-b.qcow2"], templateBaseRelPath: "tpl-base.qcow2" });
  });

  it("a clone with its own snapshot → the clone owns its leaf and its base, not the template", () => {
    const groups = groupVolumesIntoDisks([
      vol("tpl.qcow2"),
      vol("clone-a.qcow2", "tpl.qcow2"),
      vol("clone-a.snap.qcow2", "clone-a.qcow2"),
      vol("clone-b.qcow2", "tpl.qcow2"),
    ]);
    expect(groups).toHaveLength(3);
    const g = byBase(groups);
    expect(g.get("clone-a.qcow2")).toEqual({
      baseRelPath: "clone-a.qcow2",
      volumeRelPaths: ["clone-a.snap.qcow2", "clone-a.qcow2"],
      alias: "clone-a",
      templateBaseRelPath: "tpl.qcow2",
      chainProblem: null,
    });
    expect(g.get("tpl.qcow2")?.volumeRelPaths).toEqual(["tpl.qcow2"]);
  });

  it("a template of templates → each level is its own disk pointing one level down", () => {
    const groups = groupVolumesIntoDisks([
      vol("os.qcow2"),
      vol("web-tpl.qcow2", "os.qcow2"),
      vol("db.qcow2", "os.qcow2"),
      vol("web1.qcow2", "web-tpl.qcow2"),
      vol("web2.qcow2", "web-tpl.qcow2"),
    ]);
    const g = byBase(groups);
    expect(groups).toHaveLength(5);
    expect(g.get("os.qcow2")?.templateBaseRelPath).toBeNull();
    expect(g.get("web-tpl.qcow2")?.templateBaseRelPath).toBe("os.qcow2");
    expect(g.get("db.qcow2")?.templateBaseRelPath).toBe("os.qcow2");
    expect(g.get("web1.qcow2")?.templateBaseRelPath).toBe("web-tpl.qcow2");
    expect(g.get("web2.qcow2")?.templateBaseRelPath).toBe("web-tpl.qcow2");
  });

  it("every volume belongs to exactly one disk", () => {
    const volumes = [
      vol("tpl0.qcow2"),
      vol("tpl.qcow2", "tpl0.qcow2"),
      vol("a.qcow2", "tpl.qcow2"),
      vol("a.s1.qcow2", "a.qcow2"),
      vol("b.qcow2", "tpl.qcow2"),
      vol("solo.raw"),
    ];
    const owned = groupVolumesIntoDisks(volumes).flatMap((g) => g.volumeRelPaths);
    expect(owned.sort()).toEqual(volumes.map((v) => v.relPath).sort());
  });

  describe("chain problems", () => {
    it.each<{ name: string; volumes: VolumeLink[]; base: string; problem: RegExp | string }>([
      {
        name: "missing backing file → chainProblem naming the file and its child",
        volumes: [vol("leaf.qcow2", "gone.qcow2")],
        base: "leaf.qcow2",
        problem: "backing file gone.qcow2 of leaf.qcow2 is missing",
      },
      {
        name: "missing backing file two levels down",
        volumes: [vol("mid.qcow2", "gone.qcow2"), vol("leaf.qcow2", "mid.qcow2")],
        base: "mid.qcow2",
        problem: "backing file gone.qcow2 of mid.qcow2 is missing",
      },
      {
        name: "a problem on the leaf itself",
        volumes: [vol("leaf.qcow2", null, "backing file /etc/shadow is outside the storage roots")],
        base: "leaf.qcow2",
        problem: "backing file /etc/shadow is outside the storage roots",
      },
      {
        name: "a problem on a lower volume propagates to the disk",
        volumes: [
          vol("base.qcow2", null, "no format detected"),
          vol("snap.qcow2", "base.qcow2"),
          vol("leaf.qcow2", "snap.qcow2"),
        ],
        base: "base.qcow2",
        problem: "no format detected",
      },
      {
        name: "the first problem found from the leaf down wins",
        volumes: [vol("base.qcow2", null, "lower problem"), vol("leaf.qcow2", "base.qcow2", "leaf problem")],
        base: "base.qcow2",
        problem: "leaf problem",
      },
    ])("$name", ({ volumes, base, problem }) => {
      const g = byBase(groupVolumesIntoDisks(volumes)).get(base);
      expect(g).toBeDefined();
      if (typeof problem === "string") expect(g!.chainProblem).toBe(problem);
      else expect(g!.chainProblem).toMatch(problem);
    });

    it("a problem on one disk does not leak into an unrelated disk", () => {
      const g = byBase(groupVolumesIntoDisks([vol("bad.qcow2", "gone.qcow2"), vol("good.qcow2")]));
      expect(g.get("bad.qcow2")?.chainProblem).not.toBeNull();
      expect(g.get("good.qcow2")?.chainProblem).toBeNull();
    });

    it("a loop reached from a leaf (c → a → b → a) terminates and reports the loop", () => {
      const groups = groupVolumesIntoDisks([vol("a.qcow2", "b.qcow2"), vol("b.qcow2", "a.qcow2"), vol("c.qcow2", "a.qcow2")]);
      const problems = groups.map((g) => g.chainProblem).filter((p) => p !== null);
      expect(problems.some((p) => /loops/.test(p!))).toBe(true);
    });

    // In a pure cycle every volume has exactly one child, so none is a "top": the images must
    // still appear, refused, instead of vanishing from the inventory.
    it("a pure loop (a → b → a) terminates and reports a problem", () => {
      const groups = groupVolumesIntoDisks([vol("a.qcow2", "b.qcow2"), vol("b.qcow2", "a.qcow2")]);
      expect(groups.length).toBeGreaterThan(0);
      expect(groups.every((g) => g.chainProblem !== null && /loop/.test(g.chainProblem))).toBe(true);
    });

    it("a volume backed by itself (a → a) reports a problem", () => {
      const groups = groupVolumesIntoDisks([vol("a.qcow2", "a.qcow2")]);
      expect(groups).toHaveLength(1);
      expect(groups[0]!.chainProblem).toMatch(/loop/);
    });

    it("a pure loop does not hang", () => {
      expect(() => groupVolumesIntoDisks([vol("a.qcow2", "b.qcow2"), vol("b.qcow2", "a.qcow2")])).not.toThrow();
    });
  });
});

describe("aliasOf", () => {
  it.each([
    { relPath: "disk.qcow2", alias: "disk" },
    { relPath: "disk.raw", alias: "disk" },
    { relPath: "disk.img", alias: "disk" },
    { relPath: "DISK.QCOW2", alias: "DISK" },
    { relPath: "disk.Img", alias: "disk" },
    { relPath: "images/ab/cd/disk.qcow2", alias: "disk" },
    { relPath: "disk", alias: "disk" },
    { relPath: "disk.vmdk", alias: "disk.vmdk" },
    { relPath: "disk.iso", alias: "disk.iso" },
    { relPath: "disk.qcow2.bak", alias: "disk.qcow2.bak" },
    { relPath: "disk.raw.qcow2", alias: "disk.raw" },
    { relPath: "disk-qcow2", alias: "disk-qcow2" },
    { relPath: "my.vm.v2.img", alias: "my.vm.v2" },
  ])("$relPath → $alias", ({ relPath, alias }) => {
    expect(aliasOf(relPath)).toBe(alias);
  });
});
