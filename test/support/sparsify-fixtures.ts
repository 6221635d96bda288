import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { OutputStream } from "../../src/host/virt-sparsify-output.js";

/** One recorded line: when it arrived, on which pipe, and its text. */
export interface RecordedLine {
  at: number;
  stream: OutputStream;
  line: string;
}

/** Reads `test/fixtures/virt-sparsify/<name>` (format: see the README there). */
export function readSparsifyFixture(name: string): RecordedLine[] {
  const url = new URL(`../fixtures/virt-sparsify/${name}`, import.meta.url);
  return readFileSync(fileURLToPath(url), "utf8")
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const m = /^(\d+\.\d+) (stdout|stderr) ?(.*)$/.exec(l);
      if (!m) throw new Error(`bad fixture line in ${name}: ${l}`);
      return { at: Number(m[1]), stream: m[2] as OutputStream, line: m[3]! };
    });
}
