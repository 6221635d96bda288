import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { childEnv } from "../../src/host/child-env.js";
import { openRawView } from "../../src/host/estimate/raw-view.js";
import { DEFAULT_IMAGE_TOOL_LIMITS, ImageToolTimeoutError, runImageTool } from "../../src/host/run-image-tool.js";
import { requireTools } from "../support/require-tool.js";
import { resolveHostTools } from "../../src/host/tools.js";
import { makeTempDir } from "../support/temp-dir.js";

const SECRET = "postgres://admin:hunter2@db.internal/sparsify";

/** Child processes of this test process whose command line mentions `name`. */
async function childrenRunning(name: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await fs.readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid !== process.pid) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    // argv[0] only: the child is setpriv, then prlimit, then the tool, one pid exec'ing through the
    // chain; its limits are only there once prlimit has exec'd the tool (seen loaded in CI).
    if (path.basename(cmdline.split("\0")[0] ?? "") === name) pids.push(Number(entry));
  }
  return pids;
}

const environOf = async (pid: number) => (await fs.readFile(`/proc/${pid}/environ`, "utf8")).split("\0").filter(Boolean);

describe("child environment allow-list", () => {
  it.each([
    ["DATABASE_URL", false],
    ["REDIS_URL", false],
    ["AWS_SECRET_ACCESS_KEY", false],
    ["NODE_OPTIONS", false],
    ["PATH", true],
    ["LANG", true],
    ["LC_ALL", true],
    ["TMPDIR", true],
    ["HOME", true],
    ["LIBGUESTFS_BACKEND", true],
    ["SUPERMIN_KERNEL", true],
  ])("%s passes: %s", (name, passes) => {
    expect(Object.hasOwn(childEnv({}, { [name]: "x" }), name)).toBe(passes);
  });
  it("overrides win, and an undefined override removes the variable", () => {
    expect(
      childEnv(
        { TMPDIR: "/run/x", LIBGUESTFS_BACKEND_SETTINGS: undefined },
        { TMPDIR: "/tmp", LIBGUESTFS_BACKEND_SETTINGS: "force_tcg", PATH: "/bin" },
      ),
    ).toEqual({ TMPDIR: "/run/x", PATH: "/bin" });
  });
});

describe.runIf(requireTools("qemu-img", "qemu-io", "qemu-storage-daemon", "prlimit"))(
  "qemu tools on images are bounded and get no secrets",
  () => {
    let dir: { path: string; remove: () => Promise<void> };
    let raw: string;
    let qcow2: string;
    const saved = { DATABASE_URL: process.env.DATABASE_URL, SPARSIFY_TEST_SECRET: process.env.SPARSIFY_TEST_SECRET };

    beforeAll(async () => {
      dir = await makeTempDir("bounded-tools-");
      raw = path.join(dir.path, "d.raw");
      qcow2 = path.join(dir.path, "d.qcow2");
      await execa("truncate", ["-s", "16M", raw]);
      await execa("qemu-img", ["create", "-q", "-f", "qcow2", qcow2, "16M"]);
      process.env.DATABASE_URL = SECRET;
      process.env.SPARSIFY_TEST_SECRET = SECRET;
    });
    afterAll(async () => {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      await dir.remove();
    });

    it("qemu-io runs under prlimit with the allow-listed environment only", async () => {
      const run = runImageTool("qemu-io", ["-f", "raw", "-r", "-c", "sleep 3000", raw]);
      // Whatever fails below, the next test must not find this run's qemu-io still sleeping.
      onTestFinished(async () => void (await run.catch(() => undefined)));
      let pid: number | undefined;
      for (let i = 0; i < 250 && pid === undefined; i++) {
        pid = (await childrenRunning("qemu-io"))[0];
        if (pid === undefined) await sleep(20);
      }
      expect(pid).toBeDefined();
      const env = await environOf(pid!);
      expect(env.join("\n")).not.toContain("hunter2");
      expect(env.some((e) => e.startsWith("DATABASE_URL=") || e.startsWith("SPARSIFY_TEST_SECRET="))).toBe(false);
      expect(env.some((e) => e.startsWith("PATH="))).toBe(true);
      const limits = await fs.readFile(`/proc/${pid}/limits`, "utf8");
      expect(limits).toMatch(new RegExp(`Max address space\\s+${DEFAULT_IMAGE_TOOL_LIMITS.addressSpaceBytes}\\s`));
      expect(limits).toMatch(new RegExp(`Max cpu time\\s+${DEFAULT_IMAGE_TOOL_LIMITS.cpuSeconds}\\s`));
      expect((await run).exitCode).toBe(0);
    });

    it("tool paths are fixed when the worker starts: a program planted on PATH later is never run", async () => {
      expect(resolveHostTools()).not.toContain("qemu-io");
      const planted = path.join(dir.path, "bin");
      const marker = path.join(dir.path, "planted-ran");
      await fs.mkdir(planted);
      await fs.writeFile(path.join(planted, "qemu-io"), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
      const savedPath = process.env.PATH;
      process.env.PATH = `${planted}:${savedPath}`;
      try {
        const result = await runImageTool("qemu-io", ["-f", "raw", "-r", "-c", "quit", raw]);
        expect(result.exitCode).toBe(0);
      } finally {
        process.env.PATH = savedPath;
      }
      expect(
        await fs.access(marker).then(
          () => true,
          () => false,
        ),
      ).toBe(false);
    });

    it("a call past its deadline is killed and says so", async () => {
      const started = Date.now();
      await expect(
        runImageTool("qemu-io", ["-f", "raw", "-r", "-c", "sleep 60000", raw], { timeoutMs: 500 }),
      ).rejects.toBeInstanceOf(ImageToolTimeoutError);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await childrenRunning("qemu-io")).toEqual([]);
    });

    it("qemu-storage-daemon (the estimate's FUSE view) gets no secret either", async () => {
      const controller = new AbortController();
      const view = await openRawView([{ path: qcow2, format: "qcow2" }], { signal: controller.signal });
      try {
        const [pid] = await childrenRunning("qemu-storage-daemon");
        expect(pid).toBeDefined();
        const env = await environOf(pid!);
        expect(env.join("\n")).not.toContain("hunter2");
        expect(await fs.readFile(`/proc/${pid}/limits`, "utf8")).toMatch(
          new RegExp(`Max address space\\s+${DEFAULT_IMAGE_TOOL_LIMITS.addressSpaceBytes}\\s`),
        );
      } finally {
        await view.close();
      }
    });
  },
);
