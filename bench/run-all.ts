/**
 * bench — every benchmark in sequence, each in its own process (`node dist/bench/<name>.bench.js`)
 * so one's connections, databases and memory never colour the next; output is streamed as it comes.
 * The list is every `bench/*.bench.ts` (libvirt too: it needs a libvirtd, started when missing): disks, queue, sparsify first
 * (cheapest first), then any
 * other alphabetically; `npm run bench -- queue sparsify` runs only those. Exits non-zero if any
 * failed, after running the rest.
 */
import { readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const FIRST = ["disks", "queue", "sparsify"];
const here = new URL("./", import.meta.url); // dist/bench/
const sources = new URL("../../bench/", import.meta.url); // the sources, so stale dist files never run

const found = (await readdir(sources)).filter((f) => f.endsWith(".bench.ts")).map((f) => f.slice(0, -".bench.ts".length));
const all = [...FIRST.filter((n) => found.includes(n)), ...found.filter((n) => !FIRST.includes(n)).sort()];
const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !all.includes(n));
if (unknown.length) throw new Error(`no such bench: ${unknown.join(", ")} (have: ${all.join(", ")})`);
const names = wanted.length ? all.filter((n) => wanted.includes(n)) : all;

const failed: string[] = [];
for (const name of names) {
  const file = fileURLToPath(new URL(`${name}.bench.js`, here));
  console.log(`\n=== bench:${name} (node ${file})`);
  const started = performance.now();
  const result = await execa("node", [file], { stdio: "inherit", reject: false });
  const took = ((performance.now() - started) / 1000).toFixed(1);
  if (result.exitCode === 0) console.log(`=== bench:${name} done in ${took} s`);
  else {
    failed.push(name);
    console.log(`=== bench:${name} FAILED after ${took} s (${result.signal ?? `exit code ${result.exitCode}`})`);
  }
}
console.log(failed.length ? `\nfailed: ${failed.join(", ")}` : `\nall ${names.length} benches done`);
process.exitCode = failed.length ? 1 : 0;
