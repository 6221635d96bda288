import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { e2fsckClean, makeExt4Image, sha256InImage } from "../support/images.js";
import { defineDomain, domainName, ensureLibvirtd, killLibvirtd, removeDomain, virsh } from "../support/libvirt.js";
import { requireTools } from "../support/require-tool.js";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";
import { followJob, wsClient } from "../support/ws.js";

/** The bound: after each libvirt event the disk's blockers change within 10 s. */
const EVENT_DEADLINE = 10_000;

/**
 * VM truth from a real libvirtd: one sequential file, because it kills libvirtd (every other test
 * stack runs with LIBVIRT_URI=none). Tiny TCG domains, 64 MiB, no OS.
 */
describe.runIf(requireTools("virsh", "libvirtd", "qemu-img", "virt-sparsify", "mke2fs", "debugfs"))(
  "libvirt: VMs, attachments and state live from the hypervisor",
  () => {
    let stack: Stack;
    let dir: string;
    const diskId = new Map<string, string>();
    const names: string[] = [];
    const one = domainName("one");
    const two = domainName("two");
    const three = domainName("three");
    let kept = "";

    const disk = async (alias: string) =>
      ok<any>(
        await stack.gql(
          "query($d: ID!) { disk(id: $d) { sparsifiable blockers { code message } attachments { plugged " +
            "targetDev driverType vm { id name status source host { name } } } } }",
          { d: diskId.get(alias) },
        ),
      ).disk;
    const codes = async (alias: string) => (await disk(alias)).blockers.map((b: any) => b.code);
    const vms = async () =>
      ok<any>(
        await stack.gql(
          `{ vms { id name status source libvirtUuid libvirtState host { name } disks { target driverType source diskId } } }`,
        ),
      ).vms;
    const vmNamed = async (name: string) => (await vms()).find((v: any) => v.name === name);
    const within = (fn: () => Promise<unknown>) => expect.poll(fn, { timeout: EVENT_DEADLINE, interval: 100 });

    beforeAll(async () => {
      await ensureLibvirtd();
      stack = await startStack({
        env: { LIBVIRT_URI: "qemu:///system", LIBVIRT_RECONNECT_MS: "500", LIBVIRT_RESYNC_MS: "600000" },
      });
      // qemu runs as libvirt's own user: every directory on the way must be traversable.
      await fs.chmod(stack.root, 0o755);
      dir = path.join(stack.root, "vmstore");
      await fs.mkdir(dir, { mode: 0o755 });
      for (const [name, fmt] of [
        ["a", "qcow2"],
        ["b", "raw"],
        ["c", "qcow2"],
        ["loose", "qcow2"],
      ] as const) {
        await execa("qemu-img", ["create", "-q", "-f", fmt, path.join(dir, `${name}.${fmt}`), "64M"]);
      }
      kept = (await makeExt4Image(path.join(dir, "d.qcow2"), { format: "qcow2", deletedMiB: 50 })).keepSha256;
      for (const f of await fs.readdir(dir)) await fs.chmod(path.join(dir, f), 0o644);
      const domain = ok<any>(
        await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "vmstore", path: $p }) { id } }`, { p: dir }),
      ).addStorageDomain;
      ok(await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domain.id }));
      for (const e of ok<any>(await stack.gql(`{ disks(first: 50) { edges { node { id alias } } } }`)).disks.edges)
        diskId.set(e.node.alias, e.node.id);
      names.push(one, two, three);
      await defineDomain(
        one,
        [
          { file: path.join(dir, "a.qcow2"), format: "qcow2", target: "vda", bus: "virtio" },
          { file: path.join(dir, "b.raw"), format: "raw", target: "sda", bus: "scsi" },
        ],
        dir,
      );
      await defineDomain(two, [{ file: path.join(dir, "c.qcow2"), format: "qcow2", target: "vdb", bus: "virtio" }], dir);
    }, 120_000);

    afterAll(async () => {
      await ensureLibvirtd().catch(() => {});
      for (const n of names) await removeDomain(n);
      await stack?.close();
    }, 60_000);

    it("the host says it follows libvirt; defined domains are LIBVIRT VMs with their disks mapped by real path", async () => {
      const hosts = ok<any>(await stack.gql(`{ hosts { name libvirt { uri state message } } }`)).hosts;
      expect(hosts[0].libvirt).toMatchObject({ uri: "qemu:///system", state: "CONNECTED", message: null });
      await within(async () => (await vmNamed(one))?.status).toBe("DOWN");
      const vm = await vmNamed(one);
      expect(vm).toMatchObject({ source: "LIBVIRT", libvirtState: "shut off", host: { name: stack.config.HOST_NAME } });
      expect(vm.libvirtUuid).toBe((await virsh("domuuid", one)).stdout.trim());
      expect(vm.disks.map((d: any) => [d.target, d.driverType, d.diskId])).toEqual([
        ["vda", "qcow2", diskId.get("a")],
        ["sda", "raw", diskId.get("b")],
      ]);
      const a = await disk("a");
      expect(a.attachments).toEqual([expect.objectContaining({ plugged: false, targetDev: "vda", driverType: "qcow2" })]);
      expect(a.blockers).toEqual([]);
      const vol = ok<any>(
        await stack.gql(`query($d: ID!) { disk(id: $d) { volumes { libvirtDriverType } } }`, { d: diskId.get("b") }),
      ).disk;
      expect(vol.volumes[0].libvirtDriverType).toBe("raw");
    });

    it("start → UP and VM_NOT_DOWN; pause → PAUSED; resume → UP; destroy → DOWN and sparsifiable again", async () => {
      expect((await virsh("start", one)).exitCode).toBe(0);
      await within(() => codes("a")).toEqual(["VM_NOT_DOWN"]);
      // The start came as libvirt events: the host says when the last one arrived.
      await within(
        async () => ok<any>(await stack.gql(`{ hosts { libvirt { lastEventAt } } }`)).hosts[0].libvirt.lastEventAt,
      ).not.toBeNull();
      // libvirt starts qemu paused and then resumes it: the state passes PAUSED on its way to UP.
      await within(async () => (await vmNamed(one)).status).toBe("UP");
      expect((await disk("a")).blockers[0].message).toContain(`${one} (host ${stack.config.HOST_NAME})`);
      expect((await virsh("suspend", one)).exitCode).toBe(0);
      await within(async () => (await vmNamed(one)).status).toBe("PAUSED");
      expect((await disk("a")).blockers[0].message).toContain("PAUSED");
      expect((await virsh("resume", one)).exitCode).toBe(0);
      await within(async () => (await disk("a")).blockers[0]?.message).toContain("UP");
      expect((await virsh("destroy", one)).exitCode).toBe(0);
      await within(() => codes("a")).toEqual([]);
      await within(async () => (await vmNamed(one)).status).toBe("DOWN");
    });

    it("a disk detached live from the virtio-scsi bus of a running domain is freed", async () => {
      expect((await virsh("start", one)).exitCode).toBe(0);
      await within(() => codes("b")).toEqual(["VM_NOT_DOWN"]);
      const detach = await virsh("detach-disk", one, "sda", "--live");
      expect(detach.exitCode, detach.stderr).toBe(0);
      await within(() => codes("b")).toEqual([]);
      expect((await disk("b")).attachments).toEqual([]);
      expect(await codes("a")).toEqual(["VM_NOT_DOWN"]);
      await virsh("destroy", one);
      await within(() => codes("a")).toEqual([]);
    });

    it("a disk detached from a shut-off domain's config loses its attachment (no libvirt event: the config watch sees it)", async () => {
      await within(async () => (await disk("c")).attachments.map((x: any) => x.vm.name)).toEqual([two]);
      const detach = await virsh("detach-disk", two, "vdb", "--config");
      expect(detach.exitCode, detach.stderr).toBe(0);
      await within(async () => (await disk("c")).attachments).toEqual([]);
    });

    it("hand edits of a libvirt VM are refused with VM_MANAGED_BY_LIBVIRT; manual VMs keep working", async () => {
      const vm = await vmNamed(one);
      expect(codeOf(await stack.gql(`mutation($id: ID!) { setVmStatus(id: $id, status: UP) { id } }`, { id: vm.id }))).toBe(
        "VM_MANAGED_BY_LIBVIRT",
      );
      expect(
        codeOf(
          await stack.gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: true) { id } }`, {
            v: vm.id,
            d: diskId.get("loose"),
          }),
        ),
      ).toBe("VM_MANAGED_BY_LIBVIRT");
      expect(
        codeOf(
          await stack.gql(`mutation($v: ID!, $d: ID!) { detachDisk(vmId: $v, diskId: $d) }`, { v: vm.id, d: diskId.get("a") }),
        ),
      ).toBe("VM_MANAGED_BY_LIBVIRT");
      // A manual VM may even share a libvirt VM's name: names are unique per host only.
      const manual = ok<any>(
        await stack.gql(`mutation($n: String!) { addVm(input: { name: $n }) { id source host { name } } }`, { n: one }),
      ).addVm;
      expect(manual).toMatchObject({ source: "MANUAL", host: null });
      ok(
        await stack.gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: true) { id } }`, {
          v: manual.id,
          d: diskId.get("loose"),
        }),
      );
      ok(await stack.gql(`mutation($id: ID!) { setVmStatus(id: $id, status: UP) { id } }`, { id: manual.id }));
      expect(await codes("loose")).toEqual(["VM_NOT_DOWN"]);
      ok(
        await stack.gql(`mutation($v: ID!, $d: ID!) { detachDisk(vmId: $v, diskId: $d) }`, {
          v: manual.id,
          d: diskId.get("loose"),
        }),
      );
      expect(await codes("loose")).toEqual([]);
    });

    it("undefine removes the VM and its attachments", async () => {
      expect((await virsh("undefine", one)).exitCode).toBe(0);
      await within(async () => (await vms()).some((v: any) => v.source === "LIBVIRT" && v.name === one)).toBe(false);
      expect((await disk("a")).attachments).toEqual([]);
    });

    it("no VM starts on a disk being sparsified: a real virsh start fails on the run's write lock, the image stays intact", async () => {
      const image = path.join(dir, "d.qcow2");
      await defineDomain(three, [{ file: image, format: "qcow2", target: "vda", bus: "virtio" }], dir);
      await within(async () => (await vmNamed(three))?.status).toBe("DOWN");
      const client = wsClient(stack.wsUrl, stack.token);
      try {
        const job = ok<any>(
          await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId.get("d") }),
        ).sparsifyDisk;
        const followed = followJob(client, job.id);
        // Wait until virt-sparsify's qemu holds the image (qemu-img without -U then cannot open it).
        await expect
          .poll(async () => (await execa("qemu-img", ["info", "-f", "qcow2", image], { reject: false })).stderr, {
            timeout: 120_000,
            interval: 100,
          })
          .toMatch(/write" lock/);
        const start = await virsh("start", three);
        expect(start.exitCode).not.toBe(0);
        expect(start.stderr).toMatch(/lock/);
        const last = (await followed.done).at(-1);
        expect(last).toMatchObject({ state: "SUCCEEDED", outcome: "RECLAIMED" });
        expect((await virsh("domstate", three)).stdout.trim()).toBe("shut off");
        await execa("qemu-img", ["check", "-q", "-f", "qcow2", image]);
        expect(await sha256InImage(image, "qcow2", "/keep.bin")).toBe(kept);
        expect(await e2fsckClean(image, "qcow2")).toBe(true);
      } finally {
        await client.dispose();
      }
    }, 240_000);

    it(
      "libvirtd killed: the host's VMs become UNKNOWN and every disk it sees is blocked with " +
        "VM_STATE_UNKNOWN; after a restart the truth is back",
      async () => {
        expect((await virsh("start", two)).exitCode).toBe(0);
        await within(async () => (await vmNamed(two)).status).toBe("UP");
        await killLibvirtd();
        try {
          await within(async () => (await vmNamed(two)).status).toBe("UNKNOWN");
          const host = ok<any>(await stack.gql(`{ hosts { libvirt { state message } } }`)).hosts[0].libvirt;
          expect(host.state).toBe("UNREACHABLE");
          for (const alias of ["a", "b", "c", "loose", "d"]) {
            const d = await disk(alias);
            expect(d.sparsifiable).toBe(false);
            expect(d.blockers.map((b: any) => b.code)).toContain("VM_STATE_UNKNOWN");
            expect(d.blockers.find((b: any) => b.code === "VM_STATE_UNKNOWN").message).toContain(stack.config.HOST_NAME);
          }
          expect(
            codeOf(await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId.get("loose") })),
          ).toBe("DISK_NOT_SPARSIFIABLE");
        } finally {
          await ensureLibvirtd();
        }
        await within(async () => (await vmNamed(two)).status).toBe("UP");
        expect(ok<any>(await stack.gql(`{ hosts { libvirt { state } } }`)).hosts[0].libvirt.state).toBe("CONNECTED");
        await within(() => codes("loose")).toEqual([]);
        expect(await codes("a")).toEqual([]);
        await virsh("destroy", two);
        await within(async () => (await vmNamed(two)).status).toBe("DOWN");
      },
      60_000,
    );
  },
);
