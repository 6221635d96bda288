import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeDomain, installFakeVirsh, type FakeVirsh } from "../support/fake-virsh.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";

const UUID = "2a1c3f0e-2a4b-4c9d-9e8f-0123456789ab";
const WITHIN = { timeout: 15_000, interval: 100 };

/**
 * A real gateway and host worker following a scripted virsh (first on PATH): the worker's own
 * libvirt link, monitor and inventory writes, with the hypervisor's answers and failures chosen
 * here. The same code against a real libvirtd is test/e2e/libvirt.e2e.test.ts.
 */
describe.runIf(requireTools("qemu-img"))("a host worker following libvirt (scripted virsh)", () => {
  let virsh: FakeVirsh;
  let stack: Stack;
  let link: string;
  let diskId: string;
  const guest = (state: string, xml?: string) => {
    const d = fakeDomain(UUID, "guest", state, [{ source: link, target: "vda" }]);
    return xml === undefined ? d : { ...d, xml };
  };
  const host = async () =>
    ok<any>(await stack.gql(`{ hosts { name libvirt { uri state lastEventAt message } } }`)).hosts.find(
      (h: any) => h.name === stack.config.HOST_NAME,
    ).libvirt;
  const disk = async () =>
    ok<any>(
      await stack.gql(
        "query($d: ID!) { disk(id: $d) { sparsifiable blockers { code message } attachments { plugged vm { name status } } } }",
        { d: diskId },
      ),
    ).disk;

  beforeAll(async () => {
    // Before the worker starts: its libvirt link spawns virsh from PATH.
    virsh = await installFakeVirsh();
    stack = await startStack({
      env: { LIBVIRT_URI: "test:///fake", LIBVIRT_RESYNC_MS: "500", LIBVIRT_RECONNECT_MS: "300", SCAN_WAIT_MS: "15000" },
    });
    const dir = path.join(stack.root, "vmstore");
    await fs.mkdir(dir);
    await execa("qemu-img", ["create", "-q", "-f", "qcow2", path.join(dir, "disk1.qcow2"), "64M"]);
    // The domain names the image through a symlink outside the storage domain (as /var/lib/libvirt/images often is).
    await fs.mkdir(path.join(stack.root, "links"));
    link = path.join(stack.root, "links", "guest-disk.qcow2");
    await fs.symlink(path.join(dir, "disk1.qcow2"), link);
    const domain = ok<any>(
      await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "vmstore", path: $p }) { id } }`, { p: dir }),
    ).addStorageDomain;
    ok(await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domain.id }));
    diskId = ok<any>(await stack.gql(`{ disks(first: 10) { edges { node { id alias } } } }`)).disks.edges.find(
      (e: any) => e.node.alias === "disk1",
    ).node.id;
  });
  afterAll(async () => {
    await stack?.close();
    await virsh?.remove();
  });

  it("connects, and runs a full resync every LIBVIRT_RESYNC_MS", async () => {
    await expect.poll(host, WITHIN).toEqual({ uri: "test:///fake", state: "CONNECTED", lastEventAt: null, message: null });
    const lists = virsh.listCalls();
    await expect.poll(() => virsh.listCalls() - lists, WITHIN).toBeGreaterThanOrEqual(3);
  });

  it("maps a disk source to its inventory volume by real path (a symlink to the image)", async () => {
    virsh.set({ domains: [guest("running")] });
    await expect
      .poll(async () => (await disk()).attachments, WITHIN)
      .toEqual([{ plugged: true, vm: { name: "guest", status: "UP" } }]);
    expect((await disk()).blockers.map((b: any) => b.code)).toEqual(["VM_NOT_DOWN"]);
    const vm = ok<any>(await stack.gql(`{ vms { name disks { source diskId } } }`)).vms.find((v: any) => v.name === "guest");
    expect(vm.disks).toEqual([{ source: link, diskId }]);
  });

  it("records when the last libvirt event arrived (lastEventAt)", async () => {
    const before = Date.now();
    virsh.set({ domains: [guest("shut off")] });
    await virsh.emit("event 'lifecycle' for domain 'guest': Stopped Destroyed");
    await expect.poll(async () => (await host()).lastEventAt, WITHIN).not.toBeNull();
    const at = Date.parse((await host()).lastEventAt);
    expect(at).toBeGreaterThanOrEqual(before - 1_000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1_000);
    await expect.poll(async () => (await disk()).sparsifiable, WITHIN).toBe(true);
  });

  it("a resync whose read fails keeps the VM and its attachment, UNKNOWN and blocked, until a read succeeds", async () => {
    virsh.set({ domains: [guest("shut off", "<domain><name>guest</name>")] });
    await expect.poll(async () => (await host()).state, WITHIN).toBe("UNREACHABLE");
    const blocked = await disk();
    expect(blocked.attachments).toEqual([{ plugged: false, vm: { name: "guest", status: "UNKNOWN" } }]);
    expect(blocked.sparsifiable).toBe(false);
    expect(blocked.blockers.map((b: any) => b.code)).toContain("VM_STATE_UNKNOWN");
    // Named by UUID (the resync) or by name (an event's re-read), whichever read it first.
    expect((await host()).message).toMatch(new RegExp(`the XML of domain (${UUID}|guest) does not parse`));
    virsh.set({ domains: [guest("shut off")] });
    await expect.poll(async () => (await host()).state, WITHIN).toBe("CONNECTED");
    await expect.poll(async () => (await disk()).sparsifiable, WITHIN).toBe(true);
    expect((await disk()).attachments).toEqual([{ plugged: false, vm: { name: "guest", status: "DOWN" } }]);
  });
});
