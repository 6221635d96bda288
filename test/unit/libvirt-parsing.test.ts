import { describe, expect, it } from "vitest";
import { isLive, takesOver, vmStatusFromLibvirt } from "../../src/domain/libvirt-state.js";
import { locateVolume } from "../../src/domain/volume-location.js";
import { VmStatus } from "../../src/entities/enums.js";
import { parseDomainXml } from "../../src/host/libvirt/domain-xml.js";
import { parseEventLine } from "../../src/host/libvirt/event-line.js";
import { chooseLibvirtUri } from "../../src/host/libvirt/libvirt-uri.js";

const UUID = "30caa206-f7e7-4471-91f6-17711893c78e";

/** As `virsh dumpxml` prints a running domain (trimmed), with a backing chain and every flag. */
const LIVE_XML = `<domain type='qemu' id='7'>
  <name>web&amp;01</name>
  <uuid>${UUID.toUpperCase()}</uuid>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/data/sd1/web-top.qcow2' index='2'/>
      <backingStore type='file' index='3'>
        <format type='qcow2'/>
        <source file='/data/sd1/web-base.qcow2'/>
        <backingStore type='file' index='4'>
          <format type='raw'/>
          <source file='/data/sd1/golden.raw'/>
          <backingStore/>
        </backingStore>
      </backingStore>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/data/sd1/shared.raw'/>
      <target dev='sda' bus='scsi'/>
      <readonly/>
      <shareable/>
    </disk>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw'/>
      <source dev='/dev/vg/lun1'/>
      <target dev='sdb' bus='scsi'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
  </devices>
</domain>`;

describe("parseDomainXml", () => {
  it("reads identity, every disk's source, driver type, target, flags and backing chain", () => {
    const d = parseDomainXml(LIVE_XML);
    expect(d.uuid).toBe(UUID);
    expect(d.name).toBe("web&01");
    expect(d.disks).toEqual([
      {
        type: "file",
        device: "disk",
        source: "/data/sd1/web-top.qcow2",
        driverType: "qcow2",
        target: "vda",
        bus: "virtio",
        readOnly: false,
        shareable: false,
        backingStore: [
          { source: "/data/sd1/web-base.qcow2", format: "qcow2" },
          { source: "/data/sd1/golden.raw", format: "raw" },
        ],
      },
      {
        type: "file",
        device: "disk",
        source: "/data/sd1/shared.raw",
        driverType: "raw",
        target: "sda",
        bus: "scsi",
        readOnly: true,
        shareable: true,
        backingStore: [],
      },
      {
        type: "block",
        device: "disk",
        source: "/dev/vg/lun1",
        driverType: "raw",
        target: "sdb",
        bus: "scsi",
        readOnly: false,
        shareable: false,
        backingStore: [],
      },
      {
        type: "file",
        device: "cdrom",
        source: null,
        driverType: "raw",
        target: "hdc",
        bus: "ide",
        readOnly: true,
        shareable: false,
        backingStore: [],
      },
    ]);
  });

  it("a domain with one disk or none reads the same way (arrays, not objects)", () => {
    expect(parseDomainXml(`<domain><name>x</name><uuid>${UUID}</uuid><devices/></domain>`).disks).toEqual([]);
    expect(parseDomainXml(`<domain><name>x</name><uuid>${UUID}</uuid></domain>`).disks).toEqual([]);
  });

  it.each([
    ["no uuid", `<domain><name>x</name></domain>`],
    ["a bad uuid", `<domain><name>x</name><uuid>../../etc</uuid></domain>`],
    ["not a domain", `<network><name>default</name></network>`],
    ["two domains", `<domain><uuid>${UUID}</uuid></domain><domain><uuid>${UUID}</uuid></domain>`],
  ])("refuses %s", (_, xml) => {
    expect(() => parseDomainXml(xml)).toThrow();
  });

  it("markup in names and paths stays text (entities decoded, no tags injected)", () => {
    const d = parseDomainXml(
      `<domain><name>&lt;b&gt;x</name><uuid>${UUID}</uuid><devices><disk type='file'><source ` +
        "file='/a/&apos;b&apos;.raw'/></disk></devices></domain>",
    );
    expect(d.name).toBe("<b>x");
    expect(d.disks[0]!.source).toBe("/a/'b'.raw");
  });
});

describe("vmStatusFromLibvirt", () => {
  it.each([
    ["running", VmStatus.UP],
    ["paused", VmStatus.PAUSED],
    ["shut off", VmStatus.DOWN],
    ["pmsuspended", VmStatus.SUSPENDED],
    ["crashed", VmStatus.NOT_RESPONDING],
    ["in shutdown", VmStatus.UNKNOWN],
    ["blocked", VmStatus.UNKNOWN],
    ["idle", VmStatus.UNKNOWN],
    ["", VmStatus.UNKNOWN],
  ])("%j → %s", (state, status) => {
    expect(vmStatusFromLibvirt(state)).toBe(status);
  });

  it("only running and paused domains have live (plugged) disks", () => {
    expect(Object.values(VmStatus).filter(isLive)).toEqual([VmStatus.UP, VmStatus.PAUSED]);
  });
});

describe("takesOver (one UUID reported by two hosts)", () => {
  it.each([
    { current: VmStatus.UP, reported: VmStatus.UP, expected: true },
    { current: VmStatus.UNKNOWN, reported: VmStatus.UP, expected: true },
    { current: VmStatus.UNKNOWN, reported: VmStatus.PAUSED, expected: true },
    { current: VmStatus.DOWN, reported: VmStatus.DOWN, expected: true },
    { current: VmStatus.DOWN, reported: VmStatus.SUSPENDED, expected: true },
    // Never assumed down: a stopped copy elsewhere does not replace a state nobody can vouch for.
    { current: VmStatus.UNKNOWN, reported: VmStatus.DOWN, expected: false },
    { current: VmStatus.UNKNOWN, reported: VmStatus.UNKNOWN, expected: false },
    { current: VmStatus.SUSPENDED, reported: VmStatus.DOWN, expected: false },
    { current: VmStatus.NOT_RESPONDING, reported: VmStatus.DOWN, expected: false },
    { current: VmStatus.UP, reported: VmStatus.DOWN, expected: false },
    { current: VmStatus.PAUSED, reported: VmStatus.SUSPENDED, expected: false },
  ])("row $current, another host reports $reported → $expected", ({ current, reported, expected }) => {
    expect(takesOver(current, reported)).toBe(expected);
  });
});

describe("parseEventLine", () => {
  it.each([
    ["event 'lifecycle' for domain 'vm1': Started Booted", { type: "lifecycle", domain: "vm1", detail: "Started Booted" }],
    ["event 'device-removed' for domain 'vm1': scsi0-0-0-0", { type: "device-removed", domain: "vm1", detail: "scsi0-0-0-0" }],
    [
      "event 'lifecycle' for domain 'it's': Stopped Destroyed",
      { type: "lifecycle", domain: "it's", detail: "Stopped Destroyed" },
    ],
    [
      "2026-11-29 18:13:32.116+0000: event 'lifecycle' for domain 'a b': Undefined Removed",
      { type: "lifecycle", domain: "a b", detail: "Undefined Removed" },
    ],
  ])("%s", (line, parsed) => {
    expect(parseEventLine(line)).toEqual(parsed);
  });

  it("lines that are not events give null; events without a domain name none", () => {
    expect(parseEventLine("events received: 3")).toBeNull();
    expect(parseEventLine("event 'agent-lifecycle' something")).toEqual({
      type: "agent-lifecycle",
      domain: null,
      detail: "something",
    });
  });
});

describe("locateVolume", () => {
  const roots = [
    { id: "sd1", realPath: "/data/sd1" },
    { id: "nested", realPath: "/data/sd1/inner" },
    { id: "sd2", realPath: "/data/sd2" },
  ];
  it.each([
    ["/data/sd1/web.qcow2", { storageDomainId: "sd1", relPath: "web.qcow2" }],
    ["/data/sd1/inner/x/y.raw", { storageDomainId: "nested", relPath: "x/y.raw" }],
    ["/data/sd2/../sd1/web.qcow2", { storageDomainId: "sd1", relPath: "web.qcow2" }],
    ["/data/sd10/web.qcow2", null],
    ["/data/sd1", null],
    ["relative/web.qcow2", null],
    ["/etc/passwd", null],
  ])("%s → %j", (source, where) => {
    expect(locateVolume(source, roots)).toEqual(where);
  });
});

describe("chooseLibvirtUri", () => {
  it("follows the system socket by default, says why when off, and honours none", () => {
    expect(chooseLibvirtUri(undefined, () => true)).toMatchObject({ uri: "qemu:///system" });
    expect(chooseLibvirtUri(undefined, () => false)).toMatchObject({
      uri: null,
      message: expect.stringContaining("/run/libvirt/libvirt-sock"),
    });
    expect(chooseLibvirtUri("none", () => true)).toMatchObject({
      uri: null,
      message: expect.stringContaining("LIBVIRT_URI=none"),
    });
    expect(chooseLibvirtUri("qemu+ssh://kvm-a/system", () => false)).toMatchObject({ uri: "qemu+ssh://kvm-a/system" });
  });
});
