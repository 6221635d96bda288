import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(".");
/** Where citations are written: code, its comments, and the docs themselves. Generated and installed files are not ours. */
const PLACES = ["src", "test", "bench", "web/src", "scripts", "docs", "deploy", "README.md"];
const SKIP = /(^|\/)(node_modules|dist|generated)\//;
const TEXT = /\.(ts|tsx|js|mjs|cjs|sh|md)$/;
const SECTION = "\u00a7";
/** This file: its examples below cite made-up documents on purpose. */
const SELF = "test/unit/doc-references.test.ts";
/** `docs/name.md` or a section number (`§4`, `§9.14`), in the order they appear on a line. */
const TOKEN = new RegExp(`(docs/[\\w.-]+\\.md)|${SECTION}(\\d+(?:\\.\\d+)*)`, "g");

async function textFiles(): Promise<string[]> {
  const out: string[] = [];
  for (const place of PLACES) {
    const full = path.join(root, place);
    const stat = await fs.stat(full).catch(() => null);
    if (!stat) continue;
    if (stat.isFile()) {
      out.push(place);
      continue;
    }
    for (const e of await fs.readdir(full, { withFileTypes: true, recursive: true })) {
      const rel = path.relative(root, path.join(e.parentPath, e.name));
      if (e.isFile() && TEXT.test(e.name) && !SKIP.test(rel) && rel !== SELF) out.push(rel);
    }
  }
  return out.sort();
}

/** Section numbers a Markdown document has headings for: "## 5. Failure modes" → 5, "### 9.14 mke2fs" → 9.14. */
export function headingNumbers(markdown: string): Set<string> {
  const numbers = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s/gm)) numbers.add(m[1]!);
  return numbers;
}

/**
 * Every `§N` in a line resolves against the nearest `docs/<name>.md` before it on that line (inside
 * a doc, a bare `§N` means that doc). Returns what does not resolve.
 */
export function unresolved(file: string, text: string, docs: Map<string, Set<string> | null>): string[] {
  const bad: string[] = [];
  text.split("\n").forEach((line, i) => {
    let doc: string | null = file.startsWith("docs/") && file.endsWith(".md") ? file : null;
    for (const m of line.matchAll(TOKEN)) {
      if (m[1]) {
        doc = m[1];
        continue;
      }
      const where = `${file}:${i + 1}`;
      const cited = `${SECTION}${m[2]}`;
      if (!doc) bad.push(`${where}: ${cited} names no document (write docs/<name>.md ${cited})`);
      else if (!docs.has(doc) || docs.get(doc) === null) bad.push(`${where}: ${doc} does not exist`);
      else if (!docs.get(doc)!.has(m[2]!)) bad.push(`${where}: ${doc} has no heading numbered ${m[2]}`);
    }
  });
  return bad;
}

describe("section citations", () => {
  it("every § citation points at a numbered heading of a document in the repo", async () => {
    const docs = new Map<string, Set<string> | null>();
    const bad: string[] = [];
    let citations = 0;
    for (const file of await textFiles()) {
      const text = await fs.readFile(path.join(root, file), "utf8");
      if (!text.includes(SECTION)) continue;
      for (const m of text.matchAll(TOKEN)) {
        if (m[1] && !docs.has(m[1])) {
          const doc = await fs.readFile(path.join(root, m[1]), "utf8").catch(() => null);
          docs.set(m[1], doc === null ? null : headingNumbers(doc));
        }
        if (m[2]) citations++;
      }
      if (file.startsWith("docs/")) docs.set(file, headingNumbers(text));
      bad.push(...unresolved(file, text, docs));
    }
    expect(bad, bad.join("\n")).toEqual([]);
    expect(citations).toBeGreaterThan(20);
  });

  it.each([
    ["src/a.ts", "// see docs/x.md §2, §9.5", []],
    ["src/a.ts", "// see notes §2", ["src/a.ts:1: §2 names no document (write docs/<name>.md §2)"]],
    ["src/a.ts", "// docs/x.md §3", ["src/a.ts:1: docs/x.md has no heading numbered 3"]],
    ["src/a.ts", "// docs/gone.md §2", ["src/a.ts:1: docs/gone.md does not exist"]],
    ["docs/x.md", "as in §9.5", []],
  ])("%s %j → %j", (file, line, expected) => {
    const docs = new Map<string, Set<string> | null>([
      ["docs/x.md", headingNumbers("# Title\n## 2. Two\n## 9. Nine\n### 9.5 Nine five\n")],
      ["docs/gone.md", null],
    ]);
    expect(unresolved(file, line, docs)).toEqual(expected);
  });
});
