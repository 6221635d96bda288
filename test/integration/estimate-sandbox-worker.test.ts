/**
 * The estimator's sandbox as a worker process meets it: a host without one of the wrappers gets a
 * typed refusal instead of an unsandboxed parser, and a non-root worker runs its parsers in a user
 * namespace (and still estimates).
 */
import fs from "node:fs/promises";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeExt4Image } from "../support/images.js";
import { requireRoot, requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnWorker } from "../support/worker-process.js";

const tools = requireTools("setpriv", "prlimit", "unshare", "qemu-img", "mke2fs", "debugfs", "dumpe2fs");
const isRoot = requireRoot("the worker creates the parser user and drops to a plain uid");
/** An unprivileged uid with no passwd entry and no file of its own anywhere. */
const PLAIN_UID = 23456;

/** A PATH of one dir that links every executable of the usual bin dirs except `without`. */
async function pathWithout(dir: string, without: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  for (const bin of ["/usr/local/bin", "/usr/bin", "/bin"]) {
    for (const name of await fs.readdir(bin).catch(() => [] as string[])) {
      if (name === without) continue;
      await fs.symlink(path.join(bin, name), path.join(dir, name)).catch(() => undefined); // first one wins
    }
  }
  return dir;
}

describe.runIf(tools && isRoot)("estimate sandbox in a worker process", () => {
  let stack: Stack;
  const workers: ResultPromise[] = [];

  /**
   * Adds a domain with one ext4 disk and returns the disk once its estimate (or refusal) is stored,
   * or once the scan left it not OK (the estimator never opens such a disk).
   */
  async function estimatedDisk(name: string, dir: string) {
    ok(
      await stack.gql(`mutation($n: String!, $p: String!) { addStorageDomain(input: { name: $n, path: $p }) { id } }`, {
        n: name,
        p: dir,
      }),
    );
    return waitFor(
      async () => {
        const data = ok<any>(
          await stack.gql(
            "{ disks(first: 50) { edges { node { alias status estimatedAt reclaimableEstimate " +
              "estimateUnavailableReason volumes { problem } storageDomain { name } } } } }",
          ),
        );
        return data.disks.edges
          .map((e: any) => e.node)
          .find((d: any) => d.storageDomain.name === name && (d.estimatedAt || d.status !== "OK"));
      },
      { timeout: 60_000, what: `the estimate of ${name}` },
    );
  }

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    await fs.chmod(stack.root, 0o755);
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) w.kill("SIGKILL");
    await Promise.allSettled(workers);
    await stack?.close();
  });

  const refusedByEstimator = { status: "OK", reclaimableEstimate: null, estimateUnavailableReason: "SANDBOX_TOOL_MISSING" };
  it.each([["unshare"], ["setpriv"]])(
    "without %s on PATH no guest data is parsed: a typed refusal, never a silent weaker sandbox",
    async (tool) => {
      const root = path.join(stack.root, `no-${tool}`);
      await fs.mkdir(path.join(root, "domain"), { recursive: true });
      await makeExt4Image(path.join(root, "domain", "a.raw"), { format: "raw", deletedMiB: 20, sizeGiB: 0.25 });
      const bin = await pathWithout(path.join(stack.root, `bin-without-${tool}`), tool);
      workers.push(spawnWorker(stack.config, `host-no-${tool}`, { PATH: bin, STORAGE_ROOTS: root }));
      expect(await estimatedDisk(`no-${tool}`, path.join(root, "domain"))).toMatchObject(refusedByEstimator);
    },
    90_000,
  );

  // Without prlimit no qemu tool may run, not even the scan's qemu-img info: every disk would look
  // unreadable (ILLEGAL), which says nothing of the host. The worker does not start; one line says the fix.
  it("without prlimit on PATH the worker does not start: one line names the tool and its package", async () => {
    const bin = await pathWithout(path.join(stack.root, "bin-without-prlimit"), "prlimit");
    const worker = spawnWorker(stack.config, "host-no-prlimit", { PATH: bin });
    workers.push(worker);
    const ended = await Promise.race([worker, sleep(30_000).then(() => null)]);
    expect(ended, "the worker kept running without prlimit").not.toBeNull();
    expect(ended!.exitCode).toBe(1);
    expect(String(ended!.stderr).trim()).toBe(
      "This host worker cannot read images: prlimit not found on its PATH. Fix: install it (`apt-get install util-linux` " +
        "on Debian or Ubuntu), then start the worker again.",
    );
    const hosts = ok<any>(await stack.gql("{ hosts { name } }")).hosts.map((h: any) => h.name);
    expect(hosts).not.toContain("host-no-prlimit");
  }, 60_000);

  it("a non-root worker runs its parsers in a user namespace and still estimates", async () => {
    const root = path.join(stack.root, "plain-user");
    const domain = path.join(root, "domain");
    await fs.mkdir(domain, { recursive: true });
    await makeExt4Image(path.join(domain, "b.raw"), { format: "raw", deletedMiB: 20, sizeGiB: 0.25 });
    for (const p of [root, domain, path.join(domain, "b.raw")]) await fs.chown(p, PLAIN_UID, PLAIN_UID);
    const asPlainUser = ["setpriv", `--reuid=${PLAIN_UID}`, `--regid=${PLAIN_UID}`, "--clear-groups", "--"];
    workers.push(spawnWorker(stack.config, "host-plain-user", { STORAGE_ROOTS: root, HOME: "/nonexistent" }, asPlainUser));
    const disk = await estimatedDisk("plain-user", domain);
    expect(disk.estimateUnavailableReason).toBeNull();
    expect(disk.reclaimableEstimate).toBeGreaterThan(0);

    // What such a parser sees (the same code, in the same non-root position as that worker).
    const script = `
      const { runUntrusted } = await import(${JSON.stringify(path.resolve("dist/src/host/estimate/run-untrusted.js"))});
      const [status, userNs, net] = await Promise.all([
        runUntrusted(["cat", "/proc/self/status"]),
        runUntrusted(["readlink", "/proc/self/ns/user"]),
        runUntrusted(["cat", "/proc/net/dev"]),
      ]);
      console.log(JSON.stringify({ status, userNs: userNs.trim(), net }));`;
    const run = await execa(asPlainUser[0]!, [...asPlainUser.slice(1), process.execPath, "--input-type=module", "-e", script], {
      cwd: "/",
    });
    const seen = JSON.parse(run.stdout) as { status: string; userNs: string; net: string };
    const ownUserNs = (await execa(asPlainUser[0]!, [...asPlainUser.slice(1), "readlink", "/proc/self/ns/user"])).stdout.trim();
    expect(seen.userNs).not.toBe(ownUserNs);
    expect(seen.status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(seen.status).toMatch(/^CapEff:\s+0{16}$/m);
    const interfaces = seen.net
      .split("\n")
      .slice(2)
      .map((l) => l.split(":")[0]!.trim())
      .filter(Boolean);
    expect(interfaces).toEqual(["lo"]);
  }, 90_000);
});
