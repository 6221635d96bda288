/**
 * What the estimator's sandbox really holds back, checked on this host (as root, like the worker):
 * the guest-data parser runs as the dedicated parser user with no capabilities, no network, its
 * own mount namespace, no way to write a file, bounded memory, CPU, processes, output and time;
 * the FUSE view refuses writes even from root.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmod, open, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pino } from "pino";
import { openRawView } from "../../src/host/estimate/raw-view.js";
import { ensureParserUser, PARSER_USER, type UserIds } from "../../src/host/parser-user.js";
import { runUntrusted, UntrustedRunError } from "../../src/host/estimate/run-untrusted.js";
import { makeExt4Image, sha256File } from "../support/images.js";
import { requireRoot, requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

const tools = requireTools("setpriv", "prlimit", "unshare", "qemu-storage-daemon", "fusermount3", "mke2fs", "qemu-img");
const isRoot = requireRoot("the parsers run as the dedicated parser user, as the root worker runs them");

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => "succeeded",
    (error: unknown) => (error instanceof UntrustedRunError ? error.failure : `unexpected ${String(error)}`),
  );

describe.skipIf(!tools || !isRoot)("estimate sandbox (root worker)", () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let savedTmp: string | undefined;
  let parser: UserIds;
  beforeAll(async () => {
    // What the worker does at start as root (and .ci/run, the Dockerfile): create the user if missing.
    parser = (await ensureParserUser(pino({ level: "silent" })))!;
    expect(parser?.uid).toBeGreaterThan(0);
    dir = await makeTempDir("estimate-sandbox-");
    await chmod(dir.path, 0o711);
    savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = dir.path;
  });
  afterAll(async () => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    await dir.remove();
  });

  it("the parser runs as the dedicated user (not nobody), every capability set empty, no_new_privs", async () => {
    expect(parser.uid).not.toBe(65534);
    const status = await runUntrusted(["cat", "/proc/self/status"]);
    expect(status).toMatch(new RegExp(`^Uid:\\s+${parser.uid}\\s+${parser.uid}\\s+${parser.uid}\\s+${parser.uid}$`, "m"));
    expect(status).toMatch(new RegExp(`^Gid:\\s+${parser.gid}\\s+${parser.gid}\\s+${parser.gid}\\s+${parser.gid}$`, "m"));
    expect(status).toMatch(/^Groups:\s*$/m);
    for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"])
      expect(status).toMatch(new RegExp(`^${set}:\\s+0{16}$`, "m"));
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect((await runUntrusted(["id", "-un"])).trim()).toBe(PARSER_USER);
  });

  it("no network (only lo in its own namespace) and a private mount namespace", async () => {
    const interfaces = (await runUntrusted(["cat", "/proc/net/dev"]))
      .split("\n")
      .slice(2)
      .map((l) => l.split(":")[0]!.trim())
      .filter(Boolean);
    expect(interfaces).toEqual(["lo"]);
    const hostInterfaces = (await readFile("/proc/net/dev", "utf8"))
      .split("\n")
      .slice(2)
      .map((l) => l.split(":")[0]!.trim())
      .filter(Boolean);
    expect(hostInterfaces.some((i) => i !== "lo")).toBe(true); // the check above could otherwise not fail
    for (const ns of ["net", "mnt", "ipc"]) {
      expect((await runUntrusted(["readlink", `/proc/self/ns/${ns}`])).trim()).not.toBe(await readlink(`/proc/self/ns/${ns}`));
    }
  });

  it("cannot exceed its memory, CPU and process limits", async () => {
    // 1 GiB of address space: a 1.5 GiB buffer is refused, 100 MiB is fine.
    expect(await runUntrusted(["dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1", "status=none"])).toBe("");
    expect(await failure(runUntrusted(["dd", "if=/dev/zero", "of=/dev/null", "bs=1500M", "count=1"]))).toBe("FAILED");
    // A busy loop is killed by RLIMIT_CPU long before the caller's deadline.
    const t0 = performance.now();
    expect(
      await failure(
        runUntrusted(["sh", "-c", "while :; do :; done"], { limits: { cpuSeconds: 1 }, signal: AbortSignal.timeout(20_000) }),
      ),
    ).toBe("FAILED");
    expect(performance.now() - t0).toBeLessThan(10_000);
    // RLIMIT_NPROC: the parser user cannot fork past its limit.
    expect(
      await failure(
        runUntrusted(["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait"], { limits: { processes: 4 } }),
      ),
    ).toBe("FAILED");
    expect(await runUntrusted(["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 0.1 & done; wait"])).toBe("");
  });

  it("cannot read a root-only file (an image it was not shown)", async () => {
    const secret = join(dir.path, "root-only.raw");
    await writeFile(secret, "guest data", { mode: 0o600 });
    expect(await failure(runUntrusted(["cat", secret]))).toBe("FAILED");
  });

  it("cannot write any file: RLIMIT_FSIZE=0 kills it on the first byte", async () => {
    const target = join("/tmp", `estimate-sandbox-${process.pid}-${Date.now()}`);
    try {
      expect(await failure(runUntrusted(["sh", "-c", `printf x > ${target}`]))).toBe("FAILED");
      expect((await stat(target).catch(() => ({ size: 0 }))).size).toBe(0);
    } finally {
      await rm(target, { force: true });
    }
  });

  it("bounded output and time", async () => {
    expect(await failure(runUntrusted(["head", "-c", "2000000", "/dev/zero"], { maxOutputBytes: 1_000_000 }))).toBe(
      "OUTPUT_TOO_LARGE",
    );
    const t0 = performance.now();
    expect(await failure(runUntrusted(["sleep", "30"], { signal: AbortSignal.timeout(100) }))).toBe("TIMED_OUT");
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it("the FUSE view: readable by the parser, writable by nobody (not even root), image unchanged", async () => {
    const image = await makeExt4Image(join(dir.path, "view.qcow2"), { format: "qcow2", deletedMiB: 0, sizeGiB: 0.25 });
    const before = await sha256File(image.path);
    const view = await openRawView([{ path: image.path, format: "qcow2" }], { signal: AbortSignal.timeout(10_000), parser });
    try {
      expect((await stat(view.path)).mode & 0o777).toBe(0o440);
      expect((await runUntrusted(["dd", `if=${view.path}`, "bs=512", "count=1", "status=none"])).length).toBeGreaterThan(0);
      expect(await failure(runUntrusted(["sh", "-c", `printf x >> ${view.path}`]))).toBe("FAILED");
      const fd = await open(view.path, "r+"); // root passes the mode check; qemu-storage-daemon still refuses
      await expect(fd.write(Buffer.from("x"), 0, 1, 0).finally(() => fd.close())).rejects.toMatchObject({ code: "EACCES" });
    } finally {
      await view.close();
    }
    expect(await sha256File(image.path)).toBe(before);
    expect((await readFile("/proc/mounts", "utf8")).includes(view.path)).toBe(false);
  });
});
