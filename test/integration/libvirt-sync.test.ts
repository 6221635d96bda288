import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LibvirtState } from "../../src/entities/enums.js";
import type { DomainReading } from "../../src/host/libvirt/virsh.js";
import { registerHost } from "../../src/jobs/worker/host-registration.js";
import { libvirtDriverTypesByPath } from "../../src/services/libvirt-driver-type.js";
import { LibvirtSync } from "../../src/services/libvirt-sync.service.js";
import { Reconciler } from "../../src/services/reconciler.js";
import { pino } from "pino";
import { ok, startStack, type Stack } from "../support/stack.js";

const UUID = "6f1c3f0e-2a4b-4c9d-9e8f-0123456789ab";
const reading = (state: string, name = "guest"): DomainReading => ({ uuid: UUID, name, state, disks: [] });
const facts = (name: string) => ({
  name,
  concurrency: 1,
  virtSparsifyVersion: null,
  qemuVersion: null,
  accel: "TCG",
  applianceReady: false,
});

/**
 * What the host workers write, against the real database: a migration (one UUID on two hosts)
 * and the fail-safe switch. The readings are given here; the live libvirt side is proven in
 * test/e2e/libvirt.e2e.test.ts.
 */
describe("libvirt sync into the inventory", () => {
  let stack: Stack;
  let a: LibvirtSync;
  let b: LibvirtSync;
  const vm = async () =>
    ok<any>(await stack.gql(`{ vms { name status source host { name } } }`)).vms.filter((v: any) => v.source === "LIBVIRT");

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    await registerHost(stack.db, facts("kvm-a"));
    await registerHost(stack.db, facts("kvm-b"));
    a = new LibvirtSync(stack.db, "kvm-a", "qemu+ssh://kvm-a/system");
    b = new LibvirtSync(stack.db, "kvm-b", "qemu+ssh://kvm-b/system");
  });
  afterAll(() => stack?.close());

  it("a migration: the host where the domain runs wins; a stopped copy elsewhere does not take it over", async () => {
    await a.fullSync([reading("running")]);
    expect(await vm()).toEqual([{ name: "guest", status: "UP", source: "LIBVIRT", host: { name: "kvm-a" } }]);
    // The destination has the persistent definition, shut off, while the source still runs it.
    await b.fullSync([reading("shut off")]);
    expect(await vm()).toEqual([expect.objectContaining({ status: "UP", host: { name: "kvm-a" } })]);
    // Migrated: it runs on B now.
    await b.domainChanged("guest", reading("running"));
    expect(await vm()).toEqual([expect.objectContaining({ status: "UP", host: { name: "kvm-b" } })]);
    // A no longer has it (or has it shut off): B keeps it, A's resync does not remove B's VM.
    await a.fullSync([]);
    await a.domainChanged("guest", null);
    expect(await vm()).toEqual([expect.objectContaining({ status: "UP", host: { name: "kvm-b" } })]);
  });

  it("a host's full resync drops the domains it no longer reports; UNREACHABLE makes its VMs UNKNOWN", async () => {
    await a.fullSync([{ ...reading("shut off", "other"), uuid: "7f1c3f0e-2a4b-4c9d-9e8f-0123456789ab" }]);
    expect((await vm()).map((v: any) => `${v.name}@${v.host.name}:${v.status}`).sort()).toEqual([
      "guest@kvm-b:UP",
      "other@kvm-a:DOWN",
    ]);
    await a.setState(LibvirtState.UNREACHABLE, "libvirtd gone");
    expect((await vm()).map((v: any) => `${v.name}@${v.host.name}:${v.status}`).sort()).toEqual([
      "guest@kvm-b:UP",
      "other@kvm-a:UNKNOWN",
    ]);
    const hosts = ok<any>(await stack.gql(`{ hosts { name libvirt { uri state message } } }`)).hosts;
    expect(hosts.find((h: any) => h.name === "kvm-a").libvirt).toEqual({
      uri: "qemu+ssh://kvm-a/system",
      state: "UNREACHABLE",
      message: "libvirtd gone",
    });
    await a.setState(LibvirtState.CONNECTED, null);
    await a.fullSync([]);
    expect((await vm()).map((v: any) => v.name)).toEqual(["guest"]);
  });

  it("a libvirt host whose worker stopped heartbeating is marked UNREACHABLE by the reconciler: its VMs become UNKNOWN", async () => {
    await registerHost(stack.db, facts("kvm-c"));
    const c = new LibvirtSync(stack.db, "kvm-c", "qemu+ssh://kvm-c/system");
    await c.setState(LibvirtState.CONNECTED, null);
    await c.fullSync([{ ...reading("running", "web"), uuid: "8f1c3f0e-2a4b-4c9d-9e8f-0123456789ab" }]);
    await stack.db.query(`UPDATE host SET "heartbeatAt" = now() - interval '1 hour' WHERE name = 'kvm-c'`);
    await new Reconciler(stack.gateway.services, pino({ level: "silent" }), 0).run();
    const hosts = ok<any>(await stack.gql(`{ hosts { name libvirt { uri state message } } }`)).hosts;
    expect(hosts.find((h: any) => h.name === "kvm-c").libvirt).toEqual({
      uri: "qemu+ssh://kvm-c/system",
      state: "UNREACHABLE",
      message: expect.stringContaining("stopped heartbeating"),
    });
    expect((await vm()).find((v: any) => v.name === "web").status).toBe("UNKNOWN");
  });

  it("the driver type a domain describes for an image path (disk source or backing-store layer), for the image inspector", async () => {
    const d = (source: string, driverType: string, backing: { source: string; format: string }[] = []) => ({
      type: "file",
      device: "disk",
      source,
      driverType,
      target: "vda",
      bus: "virtio",
      readOnly: false,
      shareable: false,
      backingStore: backing,
    });
    await b.fullSync([
      {
        ...reading("shut off", "img-a"),
        uuid: "9f1c3f0e-2a4b-4c9d-9e8f-0123456789ab",
        disks: [d("/s/a.img", "raw", [{ source: "/s/base.img", format: "qcow2" }])],
      },
      {
        ...reading("shut off", "img-b"),
        uuid: "af1c3f0e-2a4b-4c9d-9e8f-0123456789ab",
        disks: [d("/s/b.img", "qcow2"), d("/s/a.img", "raw")],
      },
      { ...reading("shut off", "img-c"), uuid: "bf1c3f0e-2a4b-4c9d-9e8f-0123456789ab", disks: [d("/s/both.img", "raw")] },
      { ...reading("shut off", "img-d"), uuid: "cf1c3f0e-2a4b-4c9d-9e8f-0123456789ab", disks: [d("/s/both.img", "qcow2")] },
    ]);
    const types = await libvirtDriverTypesByPath(stack.db, ["/s/a.img", "/s/b.img", "/s/base.img", "/s/both.img", "/s/none.img"]);
    expect(Object.fromEntries(types)).toEqual({ "/s/a.img": "raw", "/s/b.img": "qcow2", "/s/base.img": "qcow2" });
  });
});
