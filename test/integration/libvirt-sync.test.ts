import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LibvirtState } from "../../src/entities/enums.js";
import type { DomainReading, DomainsRead } from "../../src/host/libvirt/virsh.js";
import { registerHost } from "../../src/jobs/worker/host-registration.js";
import { libvirtDriverTypesByPath } from "../../src/services/libvirt-driver-type.js";
import { LibvirtSync } from "../../src/services/libvirt-sync.service.js";
import { Reconciler } from "../../src/services/reconciler.js";
import { pino } from "pino";
import { ok, startStack, type Stack } from "../support/stack.js";

const UUID = "6f1c3f0e-2a4b-4c9d-9e8f-0123456789ab";
const reading = (state: string, name = "guest"): DomainReading => ({ uuid: UUID, name, state, disks: [] });
/** A full resync's read: these domains, plus `unread` ones libvirt listed but that were not read. */
const all = (domains: DomainReading[], unread: string[] = []): DomainsRead => ({
  listed: [...domains.map((d) => d.uuid), ...unread],
  domains,
});
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
    // As the monitor does: connected first, then readings (a host that does not follow libvirt vouches for no VM).
    await a.setState(LibvirtState.CONNECTED, null);
    await b.setState(LibvirtState.CONNECTED, null);
  });
  afterAll(() => stack?.close());

  it("a migration: the host where the domain runs wins; a stopped copy elsewhere does not take it over", async () => {
    await a.fullSync(all([reading("running")]));
    expect(await vm()).toEqual([{ name: "guest", status: "UP", source: "LIBVIRT", host: { name: "kvm-a" } }]);
    // The destination has the persistent definition, shut off, while the source still runs it.
    await b.fullSync(all([reading("shut off")]));
    expect(await vm()).toEqual([expect.objectContaining({ status: "UP", host: { name: "kvm-a" } })]);
    // Migrated: it runs on B now.
    await b.domainChanged("guest", reading("running"));
    expect(await vm()).toEqual([expect.objectContaining({ status: "UP", host: { name: "kvm-b" } })]);
    // A no longer has it (or has it shut off): B keeps it, A's resync does not remove B's VM.
    await a.fullSync(all([]));
    await a.domainChanged("guest", null);
    expect(await vm()).toEqual([expect.objectContaining({ status: "UP", host: { name: "kvm-b" } })]);
  });

  it("a host's full resync drops the domains it no longer reports; UNREACHABLE makes its VMs UNKNOWN", async () => {
    await a.fullSync(all([{ ...reading("shut off", "other"), uuid: "7f1c3f0e-2a4b-4c9d-9e8f-0123456789ab" }]));
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
    await a.fullSync(all([]));
    expect((await vm()).map((v: any) => v.name)).toEqual(["guest"]);
  });

  it("a libvirt host whose worker stopped heartbeating is marked UNREACHABLE by the reconciler: its VMs become UNKNOWN", async () => {
    await registerHost(stack.db, facts("kvm-c"));
    const c = new LibvirtSync(stack.db, "kvm-c", "qemu+ssh://kvm-c/system");
    await c.setState(LibvirtState.CONNECTED, null);
    await c.fullSync(all([{ ...reading("running", "web"), uuid: "8f1c3f0e-2a4b-4c9d-9e8f-0123456789ab" }]));
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

  it("a full resync deletes only VMs libvirt did not list: one listed but not read stays, UNKNOWN", async () => {
    const uuid = "c11c3f0e-2a4b-4c9d-9e8f-0123456789ab";
    const row = async () =>
      ok<any>(await stack.gql(`{ vms { name status libvirtState } }`)).vms.find((v: any) => v.name === "flaky");
    await a.fullSync(all([{ ...reading("shut off", "flaky"), uuid }]));
    expect(await row()).toEqual({ name: "flaky", status: "DOWN", libvirtState: "shut off" });
    await a.fullSync(all([], [uuid]));
    expect(await row()).toEqual({ name: "flaky", status: "UNKNOWN", libvirtState: null });
    await a.fullSync(all([]));
    expect(await row()).toBeUndefined();
  });

  it("a VM left UNKNOWN by an unreachable host is never taken over by a shut-off copy elsewhere (never assumed down)", async () => {
    const uuid = "d01c3f0e-2a4b-4c9d-9e8f-0123456789ab";
    const status = async () => (await vm()).find((v: any) => v.name === "mover");
    await registerHost(stack.db, facts("kvm-m1"));
    await registerHost(stack.db, facts("kvm-m2"));
    const m1 = new LibvirtSync(stack.db, "kvm-m1", "qemu+ssh://kvm-m1/system");
    const m2 = new LibvirtSync(stack.db, "kvm-m2", "qemu+ssh://kvm-m2/system");
    await m1.setState(LibvirtState.CONNECTED, null);
    await m2.setState(LibvirtState.CONNECTED, null);
    await m1.fullSync(all([{ ...reading("running", "mover"), uuid }]));
    await m1.setState(LibvirtState.UNREACHABLE, "libvirtd gone");
    expect(await status()).toEqual(expect.objectContaining({ status: "UNKNOWN", host: { name: "kvm-m1" } }));
    // kvm-m2 holds the persistent definition, shut off: it may still run on the unreachable kvm-m1.
    await m2.fullSync(all([{ ...reading("shut off", "mover"), uuid }]));
    await m2.domainChanged("mover", { ...reading("shut off", "mover"), uuid });
    expect(await status()).toEqual(expect.objectContaining({ status: "UNKNOWN", host: { name: "kvm-m1" } }));
    // Running on kvm-m2: that is a fact, it wins.
    await m2.domainChanged("mover", { ...reading("running", "mover"), uuid });
    expect(await status()).toEqual(expect.objectContaining({ status: "UP", host: { name: "kvm-m2" } }));
  });

  it("a host whose libvirt becomes DISABLED (LIBVIRT_URI=none since) no longer vouches for its VMs: UNKNOWN", async () => {
    await registerHost(stack.db, facts("kvm-d"));
    const d = new LibvirtSync(stack.db, "kvm-d", "qemu+ssh://kvm-d/system");
    await d.setState(LibvirtState.CONNECTED, null);
    await d.fullSync(all([{ ...reading("shut off", "was-down"), uuid: "e01c3f0e-2a4b-4c9d-9e8f-0123456789ab" }]));
    expect((await vm()).find((v: any) => v.name === "was-down").status).toBe("DOWN");
    await new LibvirtSync(stack.db, "kvm-d", "").setState(LibvirtState.DISABLED, "LIBVIRT_URI=none");
    expect((await vm()).find((v: any) => v.name === "was-down").status).toBe("UNKNOWN");
  });

  it.each([LibvirtState.DISABLED, LibvirtState.UNREACHABLE])(
    "the reconciler makes UNKNOWN a libvirt VM written after its host became %s (a resync racing the loss)",
    async (state) => {
      const host = `kvm-late-${state.toLowerCase()}`;
      const name = `late-${state.toLowerCase()}`;
      await registerHost(stack.db, facts(host));
      const s = new LibvirtSync(stack.db, host, `qemu+ssh://${host}/system`);
      await s.setState(LibvirtState.CONNECTED, null);
      await s.setState(state, "gone");
      // The read began while connected; its write lands after the loss.
      const uuid =
        state === LibvirtState.DISABLED ? "f01c3f0e-2a4b-4c9d-9e8f-0123456789ab" : "f11c3f0e-2a4b-4c9d-9e8f-0123456789ab";
      await s.fullSync(all([{ ...reading("shut off", name), uuid }]));
      await new Reconciler(stack.gateway.services, pino({ level: "silent" }), 0).run();
      expect((await vm()).find((v: any) => v.name === name).status).toBe("UNKNOWN");
    },
  );

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
    await b.fullSync(
      all([
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
      ]),
    );
    const types = await libvirtDriverTypesByPath(stack.db, ["/s/a.img", "/s/b.img", "/s/base.img", "/s/both.img", "/s/none.img"]);
    expect(Object.fromEntries(types)).toEqual({ "/s/a.img": "raw", "/s/b.img": "qcow2", "/s/base.img": "qcow2" });
  });
});
