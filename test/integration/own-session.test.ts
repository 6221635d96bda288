import { writeFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../support/temp-dir.js";

/** Built modules the stand-in service imports (the test setup compiles src/ first). */
const DIST = path.resolve("dist/src/host");
const FILES = 3_000;

/** Processes whose command line has `marker` as one argument, with their session ids (field 6 of stat). */
async function processesWith(marker: string): Promise<{ pid: number; session: number }[]> {
  const found: { pid: number; session: number }[] = [];
  for (const entry of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (!cmdline.split("\0").includes(marker)) continue;
    const stat = await fs.readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    found.push({ pid: Number(entry), session: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]) });
  }
  return found;
}

/** Resolves with the first stdout line of `child` that matches. */
function lineOf(child: ResultPromise, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const line = seen.split("\n").find((l) => pattern.test(l));
      if (line) resolve(line);
    });
    void child.then((r) => reject(new Error(`ended first: ${String(r.stderr)}`)));
  });
}

/**
 * The tools run in a session of their own, for real: a stand-in for the service (a node process
 * leading its own process group, as `npm start` on a terminal is) runs the host code, and the test
 * signals that whole group the way a terminal's Ctrl-C or systemd's stop of the cgroup does.
 */
describe("host tools run in a session of their own and die with the service", () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let tree: string;
  const children: ResultPromise[] = [];

  beforeAll(async () => {
    tmp = await makeTempDir("own-session-");
    tree = path.join(tmp.path, "domain");
    await fs.mkdir(tree);
    // Long names: find's output (~600 KB) is far more than a pipe and node's stream hold, so find is
    // still running, blocked on its write, when the signal comes.
    const pad = "x".repeat(180);
    for (let i = 0; i < FILES; i += 500)
      await Promise.all(
        Array.from({ length: Math.min(500, FILES - i) }, (_, j) => fs.writeFile(path.join(tree, `${pad}-${i + j}.qcow2`), "")),
      );
  });

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await tmp?.remove();
  });

  /** Runs `script` (an ES module) as the stand-in service, leading its own process group. Not async: a ResultPromise is a thenable. */
  function service(script: string): ResultPromise {
    const file = path.join(tmp.path, `service-${children.length}.mjs`);
    writeFileSync(file, script);
    const child = execa("node", [file], { detached: true, reject: false, stdin: "ignore", timeout: 60_000 });
    children.push(child);
    return child;
  }

  it("a SIGINT to the service's process group while find walks does not end the walk", async () => {
    const child = service(`
      import { findEntries } from ${JSON.stringify(path.join(DIST, "scan/find-entries.js"))};
      let interrupted = false;
      process.on("SIGINT", () => (interrupted = true)); // the service drains on the first one
      let count = 0;
      let error = null;
      try {
        for await (const entry of findEntries(${JSON.stringify(tree)}, 30_000)) {
          if (++count > 1) continue;
          console.log("walking");
          while (!interrupted) await new Promise((r) => setTimeout(r, 10));
          await new Promise((r) => setTimeout(r, 500)); // time for a signalled find to die
        }
      } catch (e) {
        error = e.name + ": " + e.message;
      }
      console.log(JSON.stringify({ count, error, interrupted }));
    `);
    await lineOf(child, /^walking$/);
    process.kill(-child.pid!, "SIGINT");
    const result = await child;
    const outcome = JSON.parse(String(result.stdout).trim().split("\n").at(-1)!);
    expect(outcome).toEqual({ count: FILES, error: null, interrupted: true });
  });

  it("a tool outlives no service: SIGKILL of the service ends its child, which ran in another session", async () => {
    const marker = `${1000 + Math.floor(Math.random() * 1000)}.${process.pid}`;
    const child = service(`
      import { runProbe } from ${JSON.stringify(path.join(DIST, "run-probe.js"))};
      const probe = runProbe("/bin/sleep", [${JSON.stringify(marker)}], { env: { LC_ALL: "C" }, timeoutMs: 120_000, reject: false });
      console.log("started");
      await probe;
    `);
    await lineOf(child, /^started$/);
    let running: Awaited<ReturnType<typeof processesWith>> = [];
    for (let i = 0; i < 50 && running.length === 0; i++, await sleep(50)) running = await processesWith(marker);
    expect(running).toHaveLength(1);
    expect(running[0]!.session, "the tool's own session").not.toBe(child.pid);
    process.kill(child.pid!, "SIGKILL");
    await child;
    for (let i = 0; i < 40 && (await processesWith(marker)).length > 0; i++) await sleep(50);
    const left = await processesWith(marker);
    for (const p of left) process.kill(p.pid, "SIGKILL");
    expect(left, "the tool was left running after the service died").toEqual([]);
  });
});
