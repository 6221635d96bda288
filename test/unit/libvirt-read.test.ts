import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LibvirtReadError, readAllDomains, readDomainByName } from "../../src/host/libvirt/virsh.js";
import { fakeDomain, installFakeVirsh, type FakeVirsh } from "../support/fake-virsh.js";

const URI = "test:///fake";
const A = "0a1c3f0e-2a4b-4c9d-9e8f-0123456789ab";
const B = "0b1c3f0e-2a4b-4c9d-9e8f-0123456789ab";
const C = "0c1c3f0e-2a4b-4c9d-9e8f-0123456789ab";
const three = () => [
  fakeDomain(A, "vm-a", "running", [{ source: "/sd/a.qcow2", target: "vda" }]),
  fakeDomain(B, "vm-b", "shut off"),
  fakeDomain(C, "vm-c", "paused"),
];

/**
 * The full resync's read through the real virsh calls, against a scripted virsh: a read that did
 * not complete is an error, never a shorter list (the resync would delete the missing VMs and
 * their attachments, freeing disks they may hold).
 */
describe("reading libvirt's domains", () => {
  let virsh: FakeVirsh;
  beforeAll(async () => {
    virsh = await installFakeVirsh();
  });
  afterAll(() => virsh?.remove());

  it("reads every listed domain's state and XML in one batch", async () => {
    virsh.set({ domains: three() });
    const read = await readAllDomains(URI);
    expect(read.listed).toEqual([A, B, C]);
    expect(read.domains.map((d) => `${d.name}:${d.state}`)).toEqual(["vm-a:running", "vm-b:shut off", "vm-c:paused"]);
    expect(read.domains[0]!.disks[0]).toMatchObject({ source: "/sd/a.qcow2", target: "vda", driverType: "qcow2" });
  });

  it("a domain undefined between the list and its read is listed but not read (virsh said it does not exist)", async () => {
    virsh.set({ domains: three(), vanished: [B] });
    const read = await readAllDomains(URI);
    expect(read.listed).toEqual([A, B, C]);
    expect(read.domains.map((d) => d.uuid)).toEqual([A, C]);
  });

  it("XML that does not parse fails the read, naming the domain", async () => {
    virsh.set({ domains: [three()[0]!, { ...three()[1]!, xml: "<domain><name>vm-b</name><uuid>not-a-uuid</uuid>" }] });
    const error = await readAllDomains(URI).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibvirtReadError);
    expect((error as Error).message).toContain(B);
  });

  it("a virsh killed mid-read (a timeout kills it the same way) fails the read instead of returning what it printed", async () => {
    virsh.set({ domains: three(), killAfterDomains: 1 });
    const error = await readAllDomains(URI).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibvirtReadError);
    expect((error as Error).message).toMatch(/killed \(SIGKILL\)/);
  });

  it("libvirt unreachable fails the read", async () => {
    virsh.set({ domains: three(), unreachable: true });
    await expect(readAllDomains(URI)).rejects.toThrow(/failed to connect to the hypervisor/);
  });

  it("one domain by name: read, gone (null), or an error for XML that does not parse", async () => {
    virsh.set({ domains: [three()[0]!, { ...three()[1]!, xml: "<nonsense/>" }] });
    expect(await readDomainByName(URI, "vm-a")).toMatchObject({ uuid: A, state: "running" });
    expect(await readDomainByName(URI, "vm-x")).toBeNull();
    await expect(readDomainByName(URI, "vm-b")).rejects.toThrow(
      /the XML of domain vm-b does not parse: not a libvirt domain XML/,
    );
  });
});
