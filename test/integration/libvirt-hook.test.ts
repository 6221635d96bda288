import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/domain/roles.js";
import { domainXml } from "../support/libvirt.js";
import { requireTools } from "../support/require-tool.js";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";

const HOOK = path.resolve("deploy/libvirt/hooks/qemu");

/**
 * The libvirt qemu hook, run directly as libvirt runs it (`qemu <domain> prepare begin -`, the
 * domain XML on stdin), against a real gateway whose disk is LOCKED by a queued sparsify job.
 */
describe.runIf(requireTools("qemu-img"))("libvirt qemu hook", () => {
  let stack: Stack;
  let dir: string;
  let conf: string;
  let locked: string;
  let free: string;

  const runHook = (env: Record<string, string>, xml: string, op = ["prepare", "begin", "-"]) =>
    execa(HOOK, ["vm-under-test", ...op], { input: xml, reject: false, env: { SPARSIFY_HOOK_CONF: conf, ...env } });

  beforeAll(async () => {
    stack = await startStack();
    dir = path.join(stack.root, "store");
    await fs.mkdir(dir);
    locked = path.join(dir, "busy.qcow2");
    free = path.join(dir, "idle.qcow2");
    for (const f of [locked, free]) await execa("qemu-img", ["create", "-q", "-f", "qcow2", f, "64M"]);
    const domain = ok<any>(
      await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "store", path: $p }) { id } }`, { p: dir }),
    ).addStorageDomain;
    ok(await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domain.id }));
    // No worker from here on: the job stays QUEUED and its disk LOCKED, as at the start of a real run.
    await stack.worker!.close(true);
    const disks = ok<any>(await stack.gql(`{ disks(first: 10) { edges { node { id alias } } } }`)).disks.edges.map(
      (e: any) => e.node,
    );
    ok(
      await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, {
        d: disks.find((d: any) => d.alias === "busy").id,
      }),
    );
    conf = path.join(stack.root, "hook.env");
    const viewer = await stack.tokenFor(Role.VIEWER, "libvirt-hook");
    await fs.writeFile(conf, `SPARSIFY_GATEWAY_URL=${stack.url}\nSPARSIFY_GATEWAY_TOKEN=${viewer}\n`);
  }, 60_000);
  afterAll(() => stack?.close());

  const xmlOn = (file: string) => domainXml("vm-under-test", [{ file, format: "qcow2", target: "vda", bus: "virtio" }]);

  it("refuses to start a domain whose disk the gateway has LOCKED, naming the disk and the job", async () => {
    const r = await runHook({}, xmlOn(locked));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /disk busy .*busy\.qcow2.* is being sparsified \(job [0-9a-f-]{36}\); refusing to start vm-under-test/,
    );
  });

  it("finds the locked image through a symlinked path too", async () => {
    const link = path.join(stack.root, "alias.qcow2");
    await fs.symlink(locked, link);
    expect((await runHook({}, xmlOn(link))).exitCode).toBe(1);
  });

  it("lets a domain on unlocked disks start", async () => {
    const r = await runHook({}, xmlOn(free));
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("");
  });

  it("ignores operations other than prepare/restore/migrate begin (no gateway call)", async () => {
    expect(
      (await runHook({ SPARSIFY_GATEWAY_URL: "http://127.0.0.1:9/graphql" }, xmlOn(locked), ["started", "begin", "-"])).exitCode,
    ).toBe(0);
    expect((await runHook({}, xmlOn(locked), ["release", "end", "-"])).exitCode).toBe(0);
  });

  it("fails open when the gateway is unreachable, refuses the token, or the XML is garbage", async () => {
    await fs.writeFile(path.join(stack.root, "down.env"), "SPARSIFY_GATEWAY_URL=http://127.0.0.1:9/graphql\n");
    const down = await runHook({ SPARSIFY_HOOK_CONF: path.join(stack.root, "down.env") }, xmlOn(locked));
    expect(down.exitCode).toBe(0);
    expect(down.stderr).toMatch(/unreachable.*fail open/);
    await fs.writeFile(path.join(stack.root, "bad.env"), `SPARSIFY_GATEWAY_URL=${stack.url}\nSPARSIFY_GATEWAY_TOKEN=spg_wrong\n`);
    const refused = await runHook({ SPARSIFY_HOOK_CONF: path.join(stack.root, "bad.env") }, xmlOn(locked));
    expect(refused.exitCode).toBe(0);
    expect(refused.stderr).toMatch(/fail open/);
    const garbage = await runHook({}, "<domain><name>x</name");
    expect(garbage.exitCode).toBe(0);
    expect(garbage.stderr).toMatch(/cannot read the domain XML.*fail open/);
  });

  it("a host worker with LIBVIRT_URI=none (every test stack but the libvirt one) says so in hosts", async () => {
    const [host] = ok<any>(await stack.gql(`{ hosts { libvirt { uri state message lastEventAt } } }`)).hosts;
    expect(host.libvirt).toEqual({
      uri: null,
      state: "DISABLED",
      message: "LIBVIRT_URI=none: this host deliberately has no hypervisor",
      lastEventAt: null,
    });
  });

  it("lockedImages refuses more than 256 paths with a typed error", async () => {
    const many = Array.from({ length: 257 }, (_, i) => `/x/${i}`);
    expect(codeOf(await stack.gql(`query($p: [String!]!) { lockedImages(paths: $p) { path } }`, { p: many }))).toBe(
      "BAD_USER_INPUT",
    );
  });
});
