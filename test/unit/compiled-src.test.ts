import { mkdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIsStale, compiledPath } from "../support/compiled-src.js";
import { makeTempDir } from "../support/temp-dir.js";

describe("tests import src/ from the build", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let root: string;
  const at = (rel: string) => path.join(root, rel);
  const age = (rel: string, secondsAgo: number) => {
    const t = new Date(Date.now() - secondsAgo * 1000);
    return utimes(at(rel), t, t);
  };

  beforeAll(async () => {
    dir = await makeTempDir("compiled-src-");
    root = dir.path;
    await mkdir(at("src/server"), { recursive: true });
    await mkdir(at("dist/src"), { recursive: true });
    await mkdir(at("test/unit"), { recursive: true });
    await writeFile(at("src/server/gateway.ts"), "");
    await writeFile(at("src/config.ts"), "");
    await writeFile(at("package.json"), "{}");
  });
  afterAll(() => dir?.remove());

  it.each([
    ["a test file's import of a source", "../../src/server/gateway.js", "test/unit/x.test.ts", "dist/src/server/gateway.js"],
    ["test/support's import", "../../src/config.js", "test/support/stack.ts", "dist/src/config.js"],
    ["a source that no longer exists (a stale dist file never stands in)", "../../src/gone.js", "test/unit/x.test.ts", undefined],
    ["a package", "graphql", "test/unit/x.test.ts", undefined],
    ["a sibling under test/", "../support/stack.js", "test/unit/x.test.ts", undefined],
    ["a src/ outside the project", "../../../src/config.js", "test/unit/x.test.ts", undefined],
    ["an import between sources (already in dist/)", "./config.js", "src/server/gateway.ts", undefined],
  ])("%s", (_what, source, importer, expected) => {
    expect(compiledPath(root, source, at(importer))).toBe(expected === undefined ? undefined : at(expected));
  });

  it("no importer (an entry point) resolves as usual", () => {
    expect(compiledPath(root, "../../src/config.js", undefined)).toBeUndefined();
  });

  it("the build is stale without its marker, fresh after it, stale again once a source is newer", async () => {
    expect(buildIsStale(root)).toBe(true);
    await writeFile(at("dist/.built"), "");
    await Promise.all(["src/server/gateway.ts", "src/config.ts", "package.json"].map((f) => age(f, 60)));
    await Promise.all([age("src/server", 60), age("src", 60)]);
    expect(buildIsStale(root)).toBe(false);
    await age("src/config.ts", 0);
    await age("dist/.built", 30);
    expect(buildIsStale(root)).toBe(true);
    await age("dist/.built", 0);
    expect(buildIsStale(root)).toBe(false);
    await age("package.json", -5);
    expect(buildIsStale(root)).toBe(true);
  });
});
