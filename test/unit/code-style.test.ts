import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const root = path.resolve(".");
const MAX = 140;
/** Where code lives; the generated GraphQL client types, TypeORM migrations and recorded fixtures are left as made. */
const DIRS = ["src", "test", "bench", "web/src", "scripts"];
const SKIP = [/^web\/src\/api\/generated\//, /^src\/migrations\//, /^test\/fixtures\//];
const CODE = /\.(ts|tsx|js|mjs|cjs|sh)$/;

async function codeFiles(): Promise<string[]> {
  const out: string[] = [];
  for (const dir of DIRS) {
    for (const e of await fs.readdir(path.join(root, dir), { withFileTypes: true, recursive: true })) {
      const rel = path.relative(root, path.join(e.parentPath, e.name));
      if (e.isFile() && CODE.test(e.name) && !SKIP.some((re) => re.test(rel))) out.push(rel);
    }
  }
  return out.sort();
}

/**
 * Prettier (.prettierrc.json, printWidth 130) wraps code but not strings, template literals, comments or regexes:
 * this catches those. Split a long message into concatenated parts (keep its text byte-identical), rewrap a comment.
 */
describe("code style", () => {
  it(`no line in ${DIRS.join(", ")} is longer than ${MAX} characters`, async () => {
    const long: string[] = [];
    for (const file of await codeFiles()) {
      const lines = (await fs.readFile(path.join(root, file), "utf8")).split("\n");
      lines.forEach((line, i) => {
        if ([...line].length > MAX) long.push(`${file}:${i + 1} (${[...line].length}): ${line.trim().slice(0, 80)}…`);
      });
    }
    expect(long, `lines over ${MAX} characters:\n${long.join("\n")}`).toEqual([]);
  });

  // ~12 s of CPU on a fresh clone (~500 files); the cache (node_modules/.cache/prettier) makes reruns ~2 s.
  it("the repository is formatted by Prettier (run `npm run format`)", { timeout: 180_000 }, async () => {
    const args = ["--check", ".", "--log-level", "warn", "--cache", "--cache-strategy", "content"];
    const r = await execa(path.join(root, "node_modules/.bin/prettier"), args, { cwd: root, reject: false, all: true });
    expect(r.exitCode, `Prettier found unformatted files (fix: npm run format):\n${r.all}`).toBe(0);
  });
});
