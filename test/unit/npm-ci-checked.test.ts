import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * .ci/run installs with scripts/npm-ci-checked.sh: an EBADENGINE warning fails CI. A stand-in
 * `npm` first on PATH prints what the real one would; the script itself runs for real.
 */
describe("scripts/npm-ci-checked.sh", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  const script = path.resolve("scripts/npm-ci-checked.sh");

  const withNpm = async (body: string) => {
    await fs.writeFile(path.join(dir.path, "npm"), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return execa("bash", [script, "--no-audit"], {
      reject: false,
      env: { ...process.env, PATH: `${dir.path}:${process.env.PATH}` },
    });
  };

  beforeAll(async () => {
    dir = await makeTempDir("npm-ci-checked-");
  });
  afterAll(() => dir.remove());

  it("passes a clean install through, with its arguments", async () => {
    const r = await withNpm(`echo "added 336 packages ($*)"`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("added 336 packages (ci --no-audit)");
  });

  it("fails on an EBADENGINE warning, even though npm ci itself succeeded", async () => {
    const r = await withNpm(
      `echo "npm warn EBADENGINE Unsupported engine {" >&2; echo "npm warn EBADENGINE   package: ` +
        `'@whatwg-node/promise-helpers@2.0.2'," >&2; echo "added 1 package"`,
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/EBADENGINE warnings/);
  });

  it("fails when npm ci fails", async () => {
    const r = await withNpm(`echo "npm error code EUSAGE" >&2; exit 1`);
    expect(r.exitCode).not.toBe(0);
  });

  it(".ci/run installs through it", async () => {
    const ci = await fs.readFile(path.resolve(".ci/run"), "utf8");
    expect(ci).toMatch(/^bash scripts\/npm-ci-checked\.sh --no-audit --no-fund$/m);
    expect(ci).not.toMatch(/^npm ci/m);
  });
});
