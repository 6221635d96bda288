import { describe, expect, it } from "vitest";
import { ProbeFailedError, runProbe } from "../../src/host/run-probe.js";

const env = { PATH: "/usr/bin:/bin", LC_ALL: "C" };

describe("runProbe: a short child over plain spawn", () => {
  it("passes the argv exactly, with no shell: metacharacters stay literal", async () => {
    const result = await runProbe("/usr/bin/printf", ["%s|", "$(id)", "a b", "*;"], { env, timeoutMs: 5_000 });
    expect(result).toMatchObject({ exitCode: 0, stdout: "$(id)|a b|*;|", timedOut: false });
  });

  it("gives the child exactly the environment it is handed, nothing of this process", async () => {
    process.env.RUN_PROBE_TEST_SECRET = "hunter2";
    try {
      const result = await runProbe("/usr/bin/env", [], { env: { ONLY: "this" }, timeoutMs: 5_000 });
      expect(result.stdout.trim()).toBe("ONLY=this");
    } finally {
      delete process.env.RUN_PROBE_TEST_SECRET;
    }
  });

  it("runs in / unless told otherwise, and feeds input on stdin", async () => {
    expect((await runProbe("/bin/pwd", [], { env, timeoutMs: 5_000 })).stdout.trim()).toBe("/");
    expect((await runProbe("/bin/cat", [], { env, timeoutMs: 5_000, input: "abc\n" })).stdout).toBe("abc\n");
  });

  it("rejects a non-zero exit with a typed error carrying the result", async () => {
    const error = await runProbe("/bin/ls", ["/no/such/path"], { env, timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProbeFailedError);
    expect((error as ProbeFailedError).result.exitCode).toBe(2);
    expect((error as ProbeFailedError).result.stderr).toContain("No such file or directory");
  });

  it("with reject: false returns the failure instead, and says when the program cannot be started", async () => {
    expect((await runProbe("/bin/false", [], { env, timeoutMs: 5_000, reject: false })).exitCode).toBe(1);
    const missing = await runProbe("/no/such/tool", [], { env, timeoutMs: 5_000, reject: false });
    expect(missing.exitCode).toBeUndefined();
    expect(missing.shortMessage).toContain("could not be started");
  });

  it("kills a child at its deadline and says so", async () => {
    const result = await runProbe("/bin/sleep", ["30"], { env, timeoutMs: 200, reject: false });
    expect(result).toMatchObject({ timedOut: true, exitCode: undefined, signal: "SIGKILL" });
  });

  it("kills a child that prints more than allowed and keeps only the allowed bytes", async () => {
    const result = await runProbe("/usr/bin/yes", [], { env, timeoutMs: 10_000, maxBuffer: 4096, reject: false });
    expect(result.isMaxBuffer).toBe(true);
    expect(result.exitCode).toBeUndefined();
    expect(result.stdout.length).toBe(4096);
  });

  it("bounds each stream by its own limit", async () => {
    // sh only as the program under test: it writes 8 KiB to stderr and 10 bytes to stdout.
    const script = "head -c 10 /dev/zero; head -c 8192 /dev/zero >&2";
    const small = await runProbe("/bin/sh", ["-c", script], {
      env,
      timeoutMs: 5_000,
      reject: false,
      maxBuffer: { stdout: 64, stderr: 1024 },
    });
    expect(small).toMatchObject({ isMaxBuffer: true });
    expect(small.stderr.length).toBe(1024);
    const roomy = await runProbe("/bin/sh", ["-c", script], { env, timeoutMs: 5_000, maxBuffer: { stdout: 64, stderr: 16384 } });
    expect(roomy).toMatchObject({ isMaxBuffer: false, exitCode: 0 });
    expect([roomy.stdout.length, roomy.stderr.length]).toEqual([10, 8192]);
  });

  it("kills a child when its signal aborts", async () => {
    const controller = new AbortController();
    const running = runProbe("/bin/sleep", ["30"], { env, timeoutMs: 30_000, signal: controller.signal, reject: false });
    setTimeout(() => controller.abort(), 50);
    expect(await running).toMatchObject({ isCanceled: true, timedOut: false, exitCode: undefined });
  });
});
