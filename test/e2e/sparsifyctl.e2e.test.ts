import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/domain/roles.js";
import { holdImage, KEPT_FILE, makeExt4Image, sha256InImage } from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { makeTempDir } from "../support/temp-dir.js";
import { waitFor } from "../support/wait-for.js";

const BIN = fileURLToPath(new URL("../../bin/sparsifyctl.js", import.meta.url));

/**
 * sparsifyctl as a person or a script runs it: a separate process, the real gateway, worker and
 * virt-sparsify. Checks the exit codes that scripts branch on.
 */
describe.runIf(requireTools("virt-sparsify", "qemu-img", "mke2fs", "debugfs"))("sparsifyctl against the real gateway", () => {
  let stack: Stack;
  let home: Awaited<ReturnType<typeof makeTempDir>>;
  let operator: string;
  const ids = new Map<string, string>();
  const kept = new Map<string, string>();

  const ctl = (args: string[], env: Record<string, string | undefined> = {}) =>
    execa("node", [BIN, ...args], {
      reject: false,
      env: { SPARSIFY_URL: stack.url, SPARSIFY_TOKEN: operator, HOME: home.path, XDG_CONFIG_HOME: "", ...env },
      extendEnv: false,
    });

  beforeAll(async () => {
    stack = await startStack();
    home = await makeTempDir("sparsifyctl-home-");
    operator = await stack.tokenFor(Role.OPERATOR);
    for (const name of ["a", "b"]) await mkdir(path.join(stack.root, name));
    kept.set(
      "web",
      (await makeExt4Image(path.join(stack.root, "a", "web.qcow2"), { format: "qcow2", deletedMiB: 50 })).keepSha256,
    );
    kept.set("db", (await makeExt4Image(path.join(stack.root, "a", "db.raw"), { format: "raw", deletedMiB: 50 })).keepSha256);
    kept.set(
      "detach",
      (await makeExt4Image(path.join(stack.root, "a", "detach.qcow2"), { format: "qcow2", deletedMiB: 20 })).keepSha256,
    );
    await makeExt4Image(path.join(stack.root, "a", "busy.qcow2"), { format: "qcow2", deletedMiB: 1 });
    await makeExt4Image(path.join(stack.root, "a", "twin.qcow2"), { format: "qcow2", deletedMiB: 1 });
    await makeExt4Image(path.join(stack.root, "b", "twin.qcow2"), { format: "qcow2", deletedMiB: 1 });
    await makeExt4Image(path.join(stack.root, "b", "fat.qcow2"), { format: "qcow2", deletedMiB: 1, preallocation: "falloc" });
    const admin = { SPARSIFY_TOKEN: stack.token };
    for (const name of ["a", "b"]) {
      const added = await ctl(["domains", "add", "--name", name, "--path", path.join(stack.root, name)], admin);
      expect(added.exitCode, added.stderr).toBe(0);
      expect(added.stdout).toContain(`Added ${name}`);
      const scanned = await ctl(["domains", "scan", name], admin);
      expect(scanned.exitCode, scanned.stderr).toBe(0);
      expect(scanned.stdout).toMatch(/scan DONE/);
    }
    const list = ok<any>(await stack.gql(`{ disks(first: 50) { edges { node { id alias storageDomain { name } } } } }`));
    for (const e of list.disks.edges) ids.set(`${e.node.storageDomain.name}/${e.node.alias}`, e.node.id);
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    await home?.remove();
  });

  it("disks: a table by default, every disk as JSON with --json, filters", async () => {
    const table = await ctl(["disks"]);
    expect(table.exitCode, table.stderr).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^ALIAS\s+DOMAIN\s+FORMAT\s+VIRTUAL\s+ACTUAL\s+RECLAIMABLE\s+SPARSIFIABLE\s+ID$/);
    expect(table.stdout).toMatch(/fat\s+b\s+QCOW2.*no: PREALLOCATED/);
    const json = await ctl(["disks", "--json"]);
    expect(JSON.parse(json.stdout)).toHaveLength(7);
    const blocked = JSON.parse((await ctl(["disks", "--blocked", "--json"])).stdout);
    expect(blocked.map((d: any) => d.alias)).toEqual(["fat"]);
    const inB = JSON.parse((await ctl(["disks", "--domain", "b", "--json"])).stdout);
    expect(inB.map((d: any) => d.alias).sort()).toEqual(["fat", "twin"]);
  });

  it("an alias naming several disks is a usage error that lists their ids; nothing is queued", async () => {
    const r = await ctl(["sparsify", "twin"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("2 disks are named twin");
    expect(r.stderr).toContain(ids.get("a/twin"));
    expect(r.stderr).toContain(ids.get("b/twin"));
    const jobs = ok<any>(await stack.gql(`{ sparsifyJobs { totalCount } }`));
    expect(jobs.sparsifyJobs.totalCount).toBe(0);
  });

  it("unknown disks and bad options are usage errors (2)", async () => {
    expect((await ctl(["sparsify", "nope"])).exitCode).toBe(2);
    expect((await ctl(["sparsify", "00000000-0000-4000-8000-000000000000"])).exitCode).toBe(2);
    expect((await ctl(["disks", "--frobnicate"])).exitCode).toBe(2);
    expect((await ctl(["disks", "--first", "-3"])).exitCode).toBe(2);
    expect((await ctl(["frobnicate"])).exitCode).toBe(2);
    expect((await ctl(["jobs", "--state", "DONE"])).exitCode).toBe(2);
  });

  it("refusals exit 3: a blocked disk (with its reasons), a viewer's sparsify, a bad token", async () => {
    const blocked = await ctl(["sparsify", ids.get("b/fat")!]);
    expect(blocked.exitCode).toBe(3);
    expect(blocked.stderr).toMatch(/fat: refused \(DISK_NOT_SPARSIFIABLE\)[\s\S]*PREALLOCATED: /);
    const viewer = await ctl(["sparsify", "web"], { SPARSIFY_TOKEN: await stack.tokenFor(Role.VIEWER) });
    expect(viewer.exitCode).toBe(3);
    expect(viewer.stderr).toContain("FORBIDDEN");
    const badToken = await ctl(["disks"], { SPARSIFY_TOKEN: "spg_not-a-real-token" });
    expect(badToken.exitCode).toBe(3);
    expect(badToken.stderr).toContain("refused the token");
  });

  it("an unreachable gateway exits 4 with a sentence, not a stack trace", async () => {
    const r = await ctl(["disks"], { SPARSIFY_URL: "http://127.0.0.1:9" });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/^sparsifyctl: Cannot reach the gateway at http:\/\/127\.0\.0\.1:9\/graphql .*is it running/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("reads ~/.config/sparsifyctl.json only when it is private (0600)", async () => {
    const dir = path.join(home.path, ".config");
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, "sparsifyctl.json");
    await writeFile(file, JSON.stringify({ url: stack.url, token: operator }));
    await chmod(file, 0o644);
    const open = await ctl(["disks"], { SPARSIFY_URL: undefined, SPARSIFY_TOKEN: undefined });
    expect(open.exitCode).toBe(2);
    expect(open.stderr).toContain(`chmod 600 ${file}`);
    await chmod(file, 0o600);
    const private_ = await ctl(["disks"], { SPARSIFY_URL: undefined, SPARSIFY_TOKEN: undefined });
    expect(private_.exitCode, private_.stderr).toBe(0);
    expect(private_.stdout).toContain("web");
  });

  it("sparsify --wait: one live bar per job, exit 0 when every job succeeded, data intact", async () => {
    const r = await ctl(["sparsify", "web", "db", "--wait"]);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    // Not a terminal: one line per state/phase change, phases in order, ending SUCCEEDED.
    for (const alias of ["web", "db"]) {
      const lines = r.stdout.split("\n").filter((l) => l.startsWith(alias));
      expect(lines[0]).toMatch(/QUEUED|RUNNING|CHECKING|LAUNCHING/);
      expect(lines.at(-1)).toMatch(/100%\s+SUCCEEDED: /);
      expect(lines.some((l) => /TRIMMING/.test(l))).toBe(true);
    }
    expect(await sha256InImage(path.join(stack.root, "a", "web.qcow2"), "qcow2", KEPT_FILE)).toBe(kept.get("web"));
  }, 180_000);

  it("a job that fails exits 1, told apart from a refusal", async () => {
    const hold = await holdImage(path.join(stack.root, "a", "busy.qcow2"), "qcow2");
    try {
      const r = await ctl(["sparsify", "busy", "--wait"]);
      expect(r.exitCode, r.stderr + r.stdout).toBe(1);
      expect(r.stdout).toMatch(/busy .*FAILED IMAGE_IN_USE: /);
    } finally {
      await hold.release();
    }
  }, 120_000);

  it("Ctrl-C detaches from --wait and never cancels: the job still succeeds", async () => {
    const child: ResultPromise = execa("node", [BIN, "sparsify", "detach", "--wait"], {
      reject: false,
      env: { SPARSIFY_URL: stack.url, SPARSIFY_TOKEN: operator, HOME: home.path },
      extendEnv: false,
    });
    let seen = "";
    child.stdout!.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    await waitFor(() => /RUNNING|CHECKING|LAUNCHING|TRIMMING/.test(seen), { timeout: 60_000, what: "the job to run" });
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toMatch(/Detached: 1 job\(s\) go on/);
    const job = await waitFor(
      async () => {
        const j = ok<any>(
          await stack.gql(`query($d: ID!) { disk(id: $d) { lastSparsifyJob { state cancelRequestedAt } } }`, {
            d: ids.get("a/detach"),
          }),
        ).disk.lastSparsifyJob;
        return ["SUCCEEDED", "FAILED", "CANCELLED"].includes(j.state) ? j : null;
      },
      { timeout: 120_000, what: "the detached job to end" },
    );
    expect(job).toEqual({ state: "SUCCEEDED", cancelRequestedAt: null });
    expect(await sha256InImage(path.join(stack.root, "a", "detach.qcow2"), "qcow2", KEPT_FILE)).toBe(kept.get("detach"));
  }, 180_000);

  it("jobs lists what ran, newest first", async () => {
    const r = await ctl(["jobs"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^CREATED \(UTC\)\s+DISK\s+STATE\s+OUTCOME\s+RECLAIMED\s+BY\s+ID$/);
    const json = JSON.parse((await ctl(["jobs", "--json", "--state", "FAILED"])).stdout);
    expect(json.map((j: any) => [j.disk.alias, j.error.code])).toEqual([["busy", "IMAGE_IN_USE"]]);
  });
});
