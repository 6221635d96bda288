import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../support/temp-dir.js";

const root = path.resolve(".");
const config = path.join(root, ".dependency-cruiser.cjs");
const depcruise = path.join(root, "node_modules/.bin/depcruise");

/** Runs dependency-cruiser on `src` of `cwd` with the repo's rules; `err` output names rule, importer and import. */
const cruise = (cwd: string) =>
  execa(depcruise, ["src", "--config", config, "--output-type", "err"], { cwd, reject: false, all: true });

/** Relative import specifiers of a web source file (static and dynamic imports, re-exports). */
const importsOf = (text: string) =>
  [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && /\.tsx?$/.test(e.name)).map((e) => path.join(e.parentPath, e.name));
}

/** The README's "Layers" section, checked: see .dependency-cruiser.cjs for the rules and their reasons. */
describe("layer direction", () => {
  it("src/ follows the layer rules (`npm run lint:layers` lists violations)", { timeout: 120_000 }, async () => {
    const r = await cruise(root);
    expect(r.exitCode, `dependency-cruiser found layer violations:\n${r.all}`).toBe(0);
  });

  it("web/src imports nothing from src/ (it talks to the gateway through the generated GraphQL types only)", async () => {
    const web = path.join(root, "web/src");
    const offending: string[] = [];
    for (const file of await filesUnder(web)) {
      for (const spec of importsOf(await fs.readFile(file, "utf8"))) {
        const target = path.resolve(path.dirname(file), spec);
        if (!target.startsWith(path.join(root, "web") + path.sep)) offending.push(`${path.relative(root, file)} → ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });

  describe("each rule fires on a violation", () => {
    let dir: Awaited<ReturnType<typeof makeTempDir>>;
    let output = "";
    // One importer per rule, each breaking exactly that rule (and a two-file cycle).
    const files: Record<string, string> = {
      "src/entities/disk.entity.ts": `import "../domain/rule.js";`,
      "src/domain/rule.ts": `import "../services/svc.js";`,
      "src/host/tool.ts": `import "../entities/plain.js";`,
      "src/host/db.ts": `import "../data-source.js";`,
      "src/services/svc.ts": `import "../resolvers/r.js";`,
      "src/services/uses-worker.ts": `import "../jobs/worker/w.js";`,
      "src/jobs/queue/q.ts": `import "../../services/plain.js";`,
      "src/jobs/worker/w.ts": `import "../../server/s.js";`,
      "src/config.ts": `import "./domain/plain.js";`,
      "src/domain/cycle-a.ts": `import "./cycle-b.js";`,
      "src/domain/cycle-b.ts": `import "./cycle-a.js";`,
      "src/domain/plain.ts": "export {};",
      "src/entities/plain.ts": "export {};",
      "src/services/plain.ts": "export {};",
      "src/resolvers/r.ts": "export {};",
      "src/server/s.ts": "export {};",
      "src/data-source.ts": "export {};",
    };

    beforeAll(async () => {
      dir = await makeTempDir("layers-");
      for (const [name, text] of Object.entries(files)) {
        await fs.mkdir(path.dirname(path.join(dir.path, name)), { recursive: true });
        await fs.writeFile(path.join(dir.path, name), `${text}\n`);
      }
      await fs.writeFile(path.join(dir.path, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext" } }));
      const r = await cruise(dir.path);
      expect(r.exitCode).not.toBe(0);
      output = r.all ?? "";
    });
    afterAll(() => dir.remove());

    it.each([
      ["entities-are-the-bottom", "src/entities/disk.entity.ts → src/domain/rule.ts"],
      ["domain-imports-only-entities", "src/domain/rule.ts → src/services/svc.ts"],
      ["host-touches-no-database", "src/host/tool.ts → src/entities/plain.ts"],
      ["host-touches-no-database", "src/host/db.ts → src/data-source.ts"],
      ["services-below-api-and-worker", "src/services/svc.ts → src/resolvers/r.ts"],
      ["services-below-api-and-worker", "src/services/uses-worker.ts → src/jobs/worker/w.ts"],
      ["queue-beside-services", "src/jobs/queue/q.ts → src/services/plain.ts"],
      ["worker-below-api", "src/jobs/worker/w.ts → src/server/s.ts"],
      ["api-not-imported-below", "src/services/svc.ts → src/resolvers/r.ts"],
      ["shared-modules-are-leaves", "src/config.ts → src/domain/plain.ts"],
      ["no-cycles", "src/domain/cycle-a.ts → src/domain/cycle-b.ts"],
    ])("%s: %s", (rule, edge) => {
      // A cycle is printed over several lines: compare with whitespace collapsed.
      expect(output.replace(/\s+/g, " ")).toContain(`${rule}: ${edge}`);
    });
  });
});
