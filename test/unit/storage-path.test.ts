import { describe, expect, it } from "vitest";
import { isInside, storagePathProblem, trimTrailingSlashes } from "../../src/domain/storage-path.js";

const roots = ["/srv/storage", "/data/vm"] as const;

describe("storagePathProblem", () => {
  it.each([
    { name: "a domain directly below a root", candidate: "/srv/storage/nfs1" },
    { name: "a domain below the second root", candidate: "/data/vm/dom" },
    { name: "a domain deep below a root", candidate: "/srv/storage/a/b/c/d" },
    { name: "names with dots, dashes and spaces", candidate: "/srv/storage/my domain.v2-x" },
    { name: "a root itself", candidate: "/srv/storage" },
    { name: "the second root itself", candidate: "/data/vm" },
    { name: "exactly 4096 characters", candidate: `/srv/storage/${"a".repeat(4096 - "/srv/storage/".length)}` },
  ])("$name → accepted (null)", ({ candidate }) => {
    expect(storagePathProblem(candidate, roots)).toBeNull();
  });

  it.each([
    { name: "empty", candidate: "", problem: /empty/ },
    { name: "relative", candidate: "srv/storage/x", problem: /not absolute/ },
    { name: "relative with ./", candidate: "./storage/x", problem: /not absolute/ },
    { name: "relative with ..", candidate: "../srv/storage/x", problem: /not absolute/ },
    { name: "with /./", candidate: "/srv/storage/./x", problem: /not normalised \(expected \/srv\/storage\/x\)/ },
    { name: "with //", candidate: "/srv/storage//x", problem: /not normalised \(expected \/srv\/storage\/x\)/ },
    { name: "with a trailing slash", candidate: "/srv/storage/x/", problem: /not normalised \(expected \/srv\/storage\/x\)/ },
    { name: "with several trailing slashes", candidate: "/srv/storage/x///", problem: /not normalised/ },
    { name: "escaping with ..", candidate: "/srv/storage/../../etc", problem: /not normalised \(expected \/etc\)/ },
    {
      name: "staying inside with ..",
      candidate: "/srv/storage/a/../b",
      problem: /not normalised \(expected \/srv\/storage\/b\)/,
    },
    {
      name: "outside every root",
      candidate: "/etc",
      problem: /not inside the allowed storage roots \(\/srv\/storage, \/data\/vm\)/,
    },
    { name: "the filesystem root", candidate: "/", problem: /not inside/ },
    { name: "the parent of a root", candidate: "/srv", problem: /not inside/ },
    { name: "prefix trick: /srv/storage2 vs root /srv/storage", candidate: "/srv/storage2", problem: /not inside/ },
    { name: "prefix trick below: /srv/storage2/x", candidate: "/srv/storage2/x", problem: /not inside/ },
    { name: "prefix trick with a dash: /srv/storage-evil", candidate: "/srv/storage-evil/x", problem: /not inside/ },
    { name: "NUL byte", candidate: "/srv/storage/a\0b", problem: /control characters/ },
    { name: "newline", candidate: "/srv/storage/a\nb", problem: /control characters/ },
    { name: "carriage return", candidate: "/srv/storage/a\rb", problem: /control characters/ },
    {
      name: "4097 characters",
      candidate: `/srv/storage/${"a".repeat(4097 - "/srv/storage/".length)}`,
      problem: /longer than 4096/,
    },
    { name: "very long (1 MB)", candidate: `/srv/storage/${"a/".repeat(500_000)}x`, problem: /longer than 4096/ },
  ])("$name → refused", ({ candidate, problem }) => {
    const result = storagePathProblem(candidate, roots);
    expect(result).not.toBeNull();
    expect(result).toMatch(problem);
  });

  it("no roots → everything is refused", () => {
    expect(storagePathProblem("/srv/storage/x", [])).toMatch(/not inside/);
  });

  it("the checks run cheapest first: an overlong relative path with control characters is reported as too long", () => {
    expect(storagePathProblem(`a\n${"b".repeat(5000)}`, roots)).toMatch(/longer than 4096/);
  });

  // Every C0 control character and DEL is refused, like parseName does (they corrupt logs).
  it.each([
    { name: "tab", candidate: "/srv/storage/a\tb" },
    { name: "escape (terminal injection in logs)", candidate: "/srv/storage/a\x1b[31mb" },
    { name: "DEL", candidate: "/srv/storage/a\x7fb" },
  ])("$name → refused as control characters", ({ candidate }) => {
    expect(storagePathProblem(candidate, roots)).toMatch(/control characters/);
  });

  // A directory whose name merely starts with two dots is below the root, not above it.
  it.each(["/srv/storage/..data", "/srv/storage/...x", "/data/vm/..hidden/dom"])(
    "%s (a name starting with '..') → accepted",
    (candidate) => {
      expect(storagePathProblem(candidate, roots)).toBeNull();
    },
  );
});

describe("isInside", () => {
  it.each([
    { child: "/a/b", parent: "/a/b", expected: true },
    { child: "/a/b/c", parent: "/a/b", expected: true },
    { child: "/a/b/c/d", parent: "/a/b", expected: true },
    { child: "/anything", parent: "/", expected: true },
    { child: "/a/b/c", parent: "/a/b/", expected: true },
    { child: "/a/bc", parent: "/a/b", expected: false },
    { child: "/a/b2/c", parent: "/a/b", expected: false },
    { child: "/a", parent: "/a/b", expected: false },
    { child: "/", parent: "/a", expected: false },
    { child: "/x/y", parent: "/a/b", expected: false },
    { child: "/a/b/../c", parent: "/a/b", expected: false },
  ])("$child inside $parent → $expected", ({ child, parent, expected }) => {
    expect(isInside(child, parent)).toBe(expected);
  });

  it.each([
    { child: "/a/b/..c", parent: "/a/b" },
    { child: "/a/b/...", parent: "/a/b" },
  ])("$child (a name starting with '..') is inside $parent", ({ child, parent }) => {
    expect(isInside(child, parent)).toBe(true);
  });
});

describe("trimTrailingSlashes", () => {
  it.each([
    ["/srv/storage/x/", "/srv/storage/x"],
    ["/srv/storage/x///", "/srv/storage/x"],
    ["/srv/storage/x", "/srv/storage/x"],
    ["/srv/storage/", "/srv/storage"],
    ["/", "/"],
    ["///", "/"],
    ["", ""],
    ["relative/", "relative"],
    ["/srv//x/", "/srv//x"], // only the end: the rest is for storagePathProblem to judge
  ])("%j → %j", (input, output) => {
    expect(trimTrailingSlashes(input)).toBe(output);
  });

  it("handles a megabyte of slashes (a backtracking regex would not return)", () => {
    const hostile = `/${"/".repeat(1_000_000)}x${"/".repeat(1_000_000)}`;
    expect(trimTrailingSlashes(hostile)).toBe(hostile.slice(0, 1_000_002));
  });
});
