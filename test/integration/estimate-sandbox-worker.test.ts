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
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";
import { spawnWorker } from "../support/worker-process.js";

const tools = requireTools("setpriv", "prlimit", "unshare", "qemu-img", "mke2fs", "debugfs", "dumpe2fs");
const isRoot = process.geteuid?.() === 0;
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

  /** Adds a domain with one ext4 disk and returns the disk once its estimate (or refusal) is stored. */
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
            "{ disks(first: 50) { edges { node { alias estimatedAt reclaimableEstimate " +
              "estimateUnavailableReason storageDomain { name } } } } }",
          ),
        );
        return data.disks.edges.map((e: any) => e.node).find((d: any) => d.storageDomain.name === name && d.estimatedAt);
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

  it("without unshare on PATH the estimate is refused with SANDBOX_TOOL_MISSING (no silent weaker sandbox)", async () => {
    const root = path.join(stack.root, "no-unshare");
    await fs.mkdir(path.join(root, "domain"), { recursive: true });
    await makeExt4Image(path.join(root, "domain", "a.raw"), { format: "raw", deletedMiB: 20, sizeGiB: 0.25 });
    const bin = await pathWithout(path.join(stack.root, "bin-without-unshare"), "unshare");
    workers.push(spawnWorker(stack.config, "host-no-unshare", { PATH: bin, STORAGE_ROOTS: root }));
    const disk = await estimatedDisk("no-unshare", path.join(root, "domain"));
    expect(disk).toMatchObject({ reclaimableEstimate: null, estimateUnavailableReason: "SANDBOX_TOOL_MISSING" });
  }, 90_000);

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
