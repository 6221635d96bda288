import { utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { buildIsStale } from "./compiled-src.js";

/**
 * vitest globalSetup: the tests import src/ from dist/ (see compiled-src.ts), so a run after an
 * edit compiles first, as scripts/launch.sh does (`tsc`, then the `dist/.built` marker). `npm test`
 * has just built: this then only compares timestamps.
 */
export async function setup(): Promise<void> {
  const root = path.resolve(".");
  if (!buildIsStale(root)) return;
  console.log("Sources changed since the last build: compiling (tsc -p tsconfig.json) before the tests");
  const tsc = await execa(path.join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], {
    cwd: root,
    stdio: "inherit",
    reject: false,
  });
  // tsc still writes dist/ on a type error: run the tests on it (they used to run without a build),
  // and leave the marker stale so the next run compiles again.
  if (tsc.exitCode !== 0) return void console.warn("tsc reported errors (above): the tests run on what it emitted");
  const marker = path.join(root, "dist", ".built");
  writeFileSync(marker, "");
  const now = new Date();
  utimesSync(marker, now, now);
}
