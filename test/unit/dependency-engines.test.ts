import fs from "node:fs";
import path from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";

/**
 * Every installed package must run on the Node versions package.json promises (`engines.node`):
 * otherwise `npm ci` prints EBADENGINE and the package may use APIs Node 20 lacks. The
 * @whatwg-node overrides in package.json keep @apollo/server's and graphql-yoga's helpers on
 * their Node ≥ 16 line.
 */
const root = path.resolve(".");
const ours = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { engines: { node: string } };

function installedPackages(dir: string, found: string[] = []): string[] {
  if (!fs.existsSync(dir)) return found;
  for (const entry of fs.readdirSync(dir)) {
    if (entry.startsWith(".")) continue;
    const full = path.join(dir, entry);
    if (entry.startsWith("@")) {
      installedPackages(full, found);
      continue;
    }
    if (fs.existsSync(path.join(full, "package.json"))) {
      found.push(full);
      installedPackages(path.join(full, "node_modules"), found);
    }
  }
  return found;
}

describe("dependency engines", () => {
  const oldest = semver.minVersion(ours.engines.node)!.version;
  const packages = installedPackages(path.join(root, "node_modules"));

  it.each([oldest, process.versions.node])("every installed package accepts Node %s", (version) => {
    const refused = packages.flatMap((dir) => {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
        engines?: { node?: unknown };
      };
      const wanted = pkg.engines?.node;
      if (typeof wanted !== "string" || !semver.validRange(wanted)) return [];
      return semver.satisfies(version, wanted) ? [] : [`${pkg.name}@${pkg.version} wants node ${wanted}`];
    });
    expect(packages.length).toBeGreaterThan(100);
    expect(refused).toEqual([]);
  });

  it("@graphql-tools (utils 12, executor) work on the overridden @whatwg-node helpers", async () => {
    const { buildSchema } = await import("graphql");
    const { mapAsyncIterator } = await import("@graphql-tools/utils");
    const { normalizedExecutor } = await import("@graphql-tools/executor");
    const schema = buildSchema("type Query { answer: Int }");
    const result = await normalizedExecutor({
      schema,
      document: (await import("graphql")).parse("{ answer }"),
      rootValue: { answer: async () => 42 },
    });
    expect(result).toEqual({ data: { answer: 42 } });
    async function* numbers() {
      yield 1;
      yield 2;
    }
    const doubled: number[] = [];
    for await (const n of mapAsyncIterator(numbers(), (v: number) => v * 2)) doubled.push(n as number);
    expect(doubled).toEqual([2, 4]);
  });
});
