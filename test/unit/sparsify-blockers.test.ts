import { describe, expect, it } from "vitest";
import {
  DiskAllocation,
  DiskStatus,
  JobState,
  LibvirtState,
  StorageDomainStatus,
  StorageKind,
  StorageType,
  VmStatus,
} from "../../src/entities/enums.js";
import type { DiskFacts } from "../../src/domain/disk-facts.js";
import { assessSparsify, nfsSupportsDiscard } from "../../src/domain/sparsify-blockers.js";
import { SparsifyIssueCode as Code, type SparsifyIssue } from "../../src/domain/sparsify-issue.js";

/** A disk nothing stops: every row below changes one fact of it. */
const sparsifiable = (): DiskFacts => ({
  status: DiskStatus.OK,
  storageType: StorageType.IMAGE,
  allocation: DiskAllocation.SPARSE,
  ownVolumeCount: 1,
  derivedDiskAliases: [],
  chainProblem: null,
  inspection: null,
  domain: { name: "nfs-data", status: StorageDomainStatus.ACTIVE, statusReason: null, kind: StorageKind.FILE, nfsVersion: "4.2" },
  attachments: [{ vmName: "web01", vmStatus: VmStatus.DOWN, plugged: true }],
  activeJob: null,
  runStillAlive: null,
});

type Change = (f: DiskFacts) => DiskFacts;
const codes = (issues: SparsifyIssue[]) => issues.map((i) => i.code);

/** A human sentence: starts with a capital, has words, no unfilled template or "undefined". */
const expectSentence = (message: string) => {
  expect(message).toMatch(/^[A-Z]/);
  expect(message.split(/\s+/).length).toBeGreaterThanOrEqual(4);
  expect(message).not.toMatch(/undefined|null|\[object|\$\{/);
};

describe("assessSparsify baseline", () => {
  it("a sound image disk on an active NFS 4.2 domain, attached to a DOWN VM, has no blockers and no warnings", () => {
    expect(assessSparsify(sparsifiable())).toEqual({ blockers: [], warnings: [] });
  });

  it("a disk attached to no VM and on a local (non-NFS) domain has no blockers", () => {
    const f = sparsifiable();
    expect(assessSparsify({ ...f, attachments: [], domain: { ...f.domain, nfsVersion: null } })).toEqual({
      blockers: [],
      warnings: [],
    });
  });
});

describe("assessSparsify: one blocker per changed fact", () => {
  const rows: { name: string; change: Change; code: Code; mentions: string[] }[] = [
    {
      name: "image file missing",
      change: (f) => ({ ...f, status: DiskStatus.MISSING }),
      code: Code.DISK_MISSING,
      mentions: ["gone"],
    },
    {
      name: "disk illegal",
      change: (f) => ({ ...f, status: DiskStatus.ILLEGAL }),
      code: Code.DISK_ILLEGAL,
      mentions: ["illegal"],
    },
    {
      name: "chain problem",
      change: (f) => ({ ...f, chainProblem: "backing file base.qcow2 of leaf.qcow2 is missing" }),
      code: Code.CHAIN_INVALID,
      mentions: ["backing file base.qcow2 of leaf.qcow2 is missing"],
    },
    ...(
      [
        "EXTERNAL_DATA_FILE",
        "BACKING_OUTSIDE_CHAIN",
        "UNKNOWN_FEATURES",
        "FORMAT_MISMATCH",
        "ENCRYPTED",
        "HEADER_INVALID",
        "NOT_REGULAR_FILE",
        "UNREADABLE",
        "CHAIN_CHANGED",
        "NOT_INSPECTED",
      ] as const
    ).map((code) => ({
      name: `inspector refusal ${code}`,
      change: (f: DiskFacts) => ({
        ...f,
        inspection: { code, message: `The image inspector refused d.qcow2 (${code}): a reason in words` },
      }),
      code: Code[code],
      mentions: ["d.qcow2", "a reason in words"],
    })),
    {
      name: "an image with hard links (path guard, found by the scan)",
      change: (f: DiskFacts) => ({
        ...f,
        chainProblem: "IMAGE_HARDLINKED: The image leaf.qcow2 has 2 hard links; writing it would change the other names too",
      }),
      code: Code.IMAGE_HARDLINKED,
      mentions: ["leaf.qcow2 has 2 hard links"],
    },
    {
      name: "an image that is not a regular file",
      change: (f: DiskFacts) => ({ ...f, chainProblem: "IMAGE_NOT_REGULAR_FILE: The image x.raw is not a regular file" }),
      code: Code.IMAGE_NOT_REGULAR_FILE,
      mentions: ["x.raw is not a regular file"],
    },
    {
      name: "an uncoded problem that merely looks coded stays CHAIN_INVALID",
      change: (f: DiskFacts) => ({ ...f, chainProblem: "SOMETHING_ELSE: x" }),
      code: Code.CHAIN_INVALID,
      mentions: ["SOMETHING_ELSE: x"],
    },
    {
      name: "disk locked, no job",
      change: (f) => ({ ...f, status: DiskStatus.LOCKED }),
      code: Code.DISK_LOCKED,
      mentions: ["locked"],
    },
    {
      name: "a queued sparsify job exists",
      change: (f) => ({ ...f, activeJob: { id: "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11", state: JobState.QUEUED } }),
      code: Code.JOB_ACTIVE,
      mentions: ["queued", "5b0c7a2e-0d7e-4a4e-9d55-2b8c1f0f3b11"],
    },
    {
      name: "a running sparsify job exists",
      change: (f) => ({ ...f, activeJob: { id: "job-42", state: JobState.RUNNING } }),
      code: Code.JOB_ACTIVE,
      mentions: ["running", "job-42"],
    },
    {
      name: "processes of an ended run still alive",
      change: (f) => ({ ...f, runStillAlive: { jobId: "job-7", host: "host-a", pids: [4242, 4243] } }),
      code: Code.RUN_STILL_ALIVE,
      mentions: ["job-7", "host-a", "4242, 4243"],
    },
    {
      name: "a DIRECT run failed its verification",
      change: (f) => ({ ...f, directVerificationFailed: { jobId: "job-9", message: "e2fsck -n found errors" } }),
      code: Code.DIRECT_VERIFICATION_FAILED,
      mentions: ["job-9", "e2fsck -n found errors"],
    },
    {
      name: "direct LUN disk",
      change: (f) => ({ ...f, storageType: StorageType.LUN }),
      code: Code.NOT_IMAGE_DISK,
      mentions: ["direct LUN"],
    },
    {
      name: "managed block disk",
      change: (f) => ({ ...f, storageType: StorageType.MANAGED_BLOCK }),
      code: Code.NOT_IMAGE_DISK,
      mentions: ["managed block"],
    },
    {
      name: "preallocated disk",
      change: (f) => ({ ...f, allocation: DiskAllocation.PREALLOCATED }),
      code: Code.PREALLOCATED,
      mentions: ["preallocated"],
    },
    {
      name: "template of derived disks",
      change: (f) => ({ ...f, derivedDiskAliases: ["clone-a", "clone-b"] }),
      code: Code.HAS_DERIVED_DISKS,
      mentions: ["2 other disk(s)", "clone-a", "clone-b"],
    },
    {
      name: "attached and plugged to a VM that is UP",
      change: (f) => ({ ...f, attachments: [{ vmName: "web01", vmStatus: VmStatus.UP, plugged: true }] }),
      code: Code.VM_NOT_DOWN,
      mentions: ["web01", "UP"],
    },
    {
      name: "storage domain inactive",
      change: (f) => ({
        ...f,
        domain: { ...f.domain, status: StorageDomainStatus.INACTIVE, statusReason: "deactivated by an administrator" },
      }),
      code: Code.STORAGE_DOMAIN_NOT_ACTIVE,
      mentions: ["nfs-data", "INACTIVE", "deactivated by an administrator"],
    },
    {
      name: "storage domain inaccessible",
      change: (f) => ({
        ...f,
        domain: { ...f.domain, status: StorageDomainStatus.INACCESSIBLE, statusReason: "no host can see it" },
      }),
      code: Code.STORAGE_DOMAIN_NOT_ACTIVE,
      mentions: ["nfs-data", "INACCESSIBLE", "no host can see it"],
    },
    {
      name: "block storage domain",
      change: (f) => ({ ...f, domain: { ...f.domain, kind: StorageKind.BLOCK, nfsVersion: null } }),
      code: Code.BLOCK_STORAGE_DOMAIN,
      mentions: ["nfs-data", "block storage"],
    },
    {
      name: "NFS 3 domain",
      change: (f) => ({ ...f, domain: { ...f.domain, nfsVersion: "3" } }),
      code: Code.NFS_TOO_OLD,
      mentions: ["nfs-data", "NFS 3", "4.2"],
    },
    {
      name: "NFS 4.1 domain",
      change: (f) => ({ ...f, domain: { ...f.domain, nfsVersion: "4.1" } }),
      code: Code.NFS_TOO_OLD,
      mentions: ["NFS 4.1"],
    },
    {
      name: "libvirt VM in UNKNOWN state (its host lost libvirt)",
      change: (f) => ({
        ...f,
        attachments: [{ vmName: "web01", vmStatus: VmStatus.UNKNOWN, plugged: false, vmHost: "kvm-a", vmFromLibvirt: true }],
      }),
      code: Code.VM_STATE_UNKNOWN,
      mentions: ["web01", "kvm-a", "unknown"],
    },
    {
      name: "a host seeing the domain lost libvirt",
      change: (f) => ({ ...f, domain: { ...f.domain, libvirtUnreachableHosts: ["kvm-b"] } }),
      code: Code.VM_STATE_UNKNOWN,
      mentions: ["kvm-b", "nfs-data", "reconnects"],
    },
  ];

  it.each(rows)("$name → exactly one blocker $code, no warning", ({ change, code, mentions }) => {
    const { blockers, warnings } = assessSparsify(change(sparsifiable()));
    expect(codes(blockers)).toEqual([code]);
    expect(warnings).toEqual([]);
    expectSentence(blockers[0]!.message);
    for (const m of mentions) expect(blockers[0]!.message).toContain(m);
  });

  it("every blocker code of the enum is covered by a row above", () => {
    const warningCodes = [Code.HAS_SNAPSHOTS, Code.UNPLUGGED_FROM_RUNNING_VM];
    const blockerCodes = Object.values(Code).filter((c) => !warningCodes.includes(c));
    expect(new Set(rows.map((r) => r.code))).toEqual(new Set(blockerCodes));
  });
});

describe("assessSparsify: VM states", () => {
  const notDown = Object.values(VmStatus).filter((s) => s !== VmStatus.DOWN);

  it.each(notDown)("plugged into a VM that is %s → VM_NOT_DOWN naming the VM and its state", (vmStatus) => {
    const { blockers, warnings } = assessSparsify({
      ...sparsifiable(),
      attachments: [{ vmName: "db-primary", vmStatus, plugged: true }],
    });
    expect(codes(blockers)).toEqual([Code.VM_NOT_DOWN]);
    expect(blockers[0]!.message).toContain("db-primary");
    expect(blockers[0]!.message).toContain(vmStatus);
    expect(warnings).toEqual([]);
  });

  it.each(notDown)("unplugged from a VM that is %s → not blocked, UNPLUGGED_FROM_RUNNING_VM warning", (vmStatus) => {
    const { blockers, warnings } = assessSparsify({
      ...sparsifiable(),
      attachments: [{ vmName: "db-primary", vmStatus, plugged: false }],
    });
    expect(blockers).toEqual([]);
    expect(codes(warnings)).toEqual([Code.UNPLUGGED_FROM_RUNNING_VM]);
    expect(warnings[0]!.message).toContain("db-primary");
    expect(warnings[0]!.message).toContain(vmStatus);
    expectSentence(warnings[0]!.message);
  });

  it.each([
    { name: "plugged into a DOWN VM", plugged: true },
    { name: "unplugged from a DOWN VM", plugged: false },
  ])("$name → neither blocked nor warned", ({ plugged }) => {
    expect(assessSparsify({ ...sparsifiable(), attachments: [{ vmName: "x", vmStatus: VmStatus.DOWN, plugged }] })).toEqual({
      blockers: [],
      warnings: [],
    });
  });

  it("several VMs up → one VM_NOT_DOWN per VM, in attachment order; DOWN ones are skipped", () => {
    const { blockers } = assessSparsify({
      ...sparsifiable(),
      attachments: [
        { vmName: "vm-a", vmStatus: VmStatus.UP, plugged: true },
        { vmName: "vm-b", vmStatus: VmStatus.DOWN, plugged: true },
        { vmName: "vm-c", vmStatus: VmStatus.PAUSED, plugged: true },
        { vmName: "vm-d", vmStatus: VmStatus.MIGRATING, plugged: true },
      ],
    });
    expect(codes(blockers)).toEqual([Code.VM_NOT_DOWN, Code.VM_NOT_DOWN, Code.VM_NOT_DOWN]);
    expect(blockers[0]!.message).toContain("vm-a");
    expect(blockers[0]!.message).toContain("UP");
    expect(blockers[1]!.message).toContain("vm-c");
    expect(blockers[1]!.message).toContain("PAUSED");
    expect(blockers[2]!.message).toContain("vm-d");
    expect(blockers[2]!.message).toContain("MIGRATING");
  });

  it("a shared disk plugged into one running VM and unplugged from another → one blocker and one warning", () => {
    const { blockers, warnings } = assessSparsify({
      ...sparsifiable(),
      attachments: [
        { vmName: "node-1", vmStatus: VmStatus.UP, plugged: true },
        { vmName: "node-2", vmStatus: VmStatus.UP, plugged: false },
      ],
    });
    expect(codes(blockers)).toEqual([Code.VM_NOT_DOWN]);
    expect(blockers[0]!.message).toContain("node-1");
    expect(codes(warnings)).toEqual([Code.UNPLUGGED_FROM_RUNNING_VM]);
    expect(warnings[0]!.message).toContain("node-2");
  });
});

describe("assessSparsify: warnings", () => {
  it.each([
    { ownVolumeCount: 2, snapshots: "1 snapshot(s)" },
    { ownVolumeCount: 5, snapshots: "4 snapshot(s)" },
  ])(
    "$ownVolumeCount own volumes → HAS_SNAPSHOTS warning counting $snapshots, not a blocker",
    ({ ownVolumeCount, snapshots }) => {
      const { blockers, warnings } = assessSparsify({ ...sparsifiable(), ownVolumeCount });
      expect(blockers).toEqual([]);
      expect(codes(warnings)).toEqual([Code.HAS_SNAPSHOTS]);
      expect(warnings[0]!.message).toContain(snapshots);
      expect(warnings[0]!.message).toMatch(/merge/i);
      expectSentence(warnings[0]!.message);
    },
  );

  it("a single own volume → no HAS_SNAPSHOTS", () => {
    expect(assessSparsify({ ...sparsifiable(), ownVolumeCount: 1 }).warnings).toEqual([]);
  });

  it("warnings come in rule order: HAS_SNAPSHOTS before UNPLUGGED_FROM_RUNNING_VM", () => {
    const { warnings } = assessSparsify({
      ...sparsifiable(),
      ownVolumeCount: 3,
      attachments: [{ vmName: "x", vmStatus: VmStatus.UP, plugged: false }],
    });
    expect(codes(warnings)).toEqual([Code.HAS_SNAPSHOTS, Code.UNPLUGGED_FROM_RUNNING_VM]);
  });
});

describe("assessSparsify: combinations", () => {
  it("every blocker at once → all of them, in the documented order", () => {
    const f = sparsifiable();
    const { blockers, warnings } = assessSparsify({
      ...f,
      status: DiskStatus.MISSING,
      chainProblem: "backing chain of a loops at b",
      activeJob: { id: "j1", state: JobState.RUNNING },
      storageType: StorageType.LUN,
      allocation: DiskAllocation.PREALLOCATED,
      derivedDiskAliases: ["clone"],
      attachments: [
        { vmName: "vm1", vmStatus: VmStatus.UP, plugged: true },
        { vmName: "vm2", vmStatus: VmStatus.PAUSED, plugged: true },
      ],
      domain: {
        name: "d",
        status: StorageDomainStatus.INACCESSIBLE,
        statusReason: null,
        kind: StorageKind.BLOCK,
        nfsVersion: "3",
      },
    });
    expect(codes(blockers)).toEqual([
      Code.DISK_MISSING,
      Code.CHAIN_INVALID,
      Code.JOB_ACTIVE,
      Code.NOT_IMAGE_DISK,
      Code.PREALLOCATED,
      Code.HAS_DERIVED_DISKS,
      Code.VM_NOT_DOWN,
      Code.VM_NOT_DOWN,
      Code.STORAGE_DOMAIN_NOT_ACTIVE,
      Code.BLOCK_STORAGE_DOMAIN,
      Code.NFS_TOO_OLD,
    ]);
    expect(warnings).toEqual([]);
  });

  it.each([
    {
      name: "illegal + preallocated",
      change: ((f) => ({ ...f, status: DiskStatus.ILLEGAL, allocation: DiskAllocation.PREALLOCATED })) as Change,
      expected: [Code.DISK_ILLEGAL, Code.PREALLOCATED],
    },
    {
      name: "VM up + domain inactive + NFS 3",
      change: ((f) => ({
        ...f,
        attachments: [{ vmName: "a", vmStatus: VmStatus.UP, plugged: true }],
        domain: { ...f.domain, status: StorageDomainStatus.INACTIVE, nfsVersion: "3" },
      })) as Change,
      expected: [Code.VM_NOT_DOWN, Code.STORAGE_DOMAIN_NOT_ACTIVE, Code.NFS_TOO_OLD],
    },
  ])("$name → all blockers returned", ({ change, expected }) => {
    expect(codes(assessSparsify(change(sparsifiable())).blockers)).toEqual(expected);
  });

  it.each([
    { name: "locked disk with a running job", status: DiskStatus.LOCKED, expected: [Code.JOB_ACTIVE] },
    { name: "OK disk with a running job (lock not yet recorded)", status: DiskStatus.OK, expected: [Code.JOB_ACTIVE] },
  ])("$name → JOB_ACTIVE replaces DISK_LOCKED", ({ status, expected }) => {
    const { blockers } = assessSparsify({ ...sparsifiable(), status, activeJob: { id: "j9", state: JobState.RUNNING } });
    expect(codes(blockers)).toEqual(expected);
  });

  it("warnings do not block: snapshots + unplugged from a running VM still leaves no blockers", () => {
    const { blockers, warnings } = assessSparsify({
      ...sparsifiable(),
      ownVolumeCount: 2,
      attachments: [{ vmName: "x", vmStatus: VmStatus.UP, plugged: false }],
    });
    expect(blockers).toEqual([]);
    expect(warnings).toHaveLength(2);
  });

  it("blockers and warnings are reported together", () => {
    const { blockers, warnings } = assessSparsify({
      ...sparsifiable(),
      allocation: DiskAllocation.PREALLOCATED,
      ownVolumeCount: 2,
    });
    expect(codes(blockers)).toEqual([Code.PREALLOCATED]);
    expect(codes(warnings)).toEqual([Code.HAS_SNAPSHOTS]);
  });

  it("the derived-disk message lists at most 5 aliases but counts all of them", () => {
    const aliases = ["c1", "c2", "c3", "c4", "c5", "c6", "c7"];
    const [blocker] = assessSparsify({ ...sparsifiable(), derivedDiskAliases: aliases }).blockers;
    expect(blocker!.message).toContain("7 other disk(s)");
    expect(blocker!.message).toContain("c1, c2, c3, c4, c5");
    expect(blocker!.message).not.toContain("c6");
  });

  it("a domain status message without a reason has no dangling colon", () => {
    const f = sparsifiable();
    const [blocker] = assessSparsify({
      ...f,
      domain: { ...f.domain, status: StorageDomainStatus.INACTIVE, statusReason: null },
    }).blockers;
    expect(blocker!.message).toBe("Storage domain nfs-data is INACTIVE");
  });
});

describe("SparsifyIssueCode is a stable API", () => {
  it("each code's value is its own name (clients match on these strings)", () => {
    for (const [key, value] of Object.entries(Code)) expect(value).toBe(key);
  });

  it("the set of codes is exactly the documented one", () => {
    expect(Object.values(Code).sort()).toEqual(
      [
        "BLOCK_STORAGE_DOMAIN",
        "CHAIN_INVALID",
        "DIRECT_VERIFICATION_FAILED",
        "DISK_ILLEGAL",
        "DISK_LOCKED",
        "DISK_MISSING",
        "HAS_DERIVED_DISKS",
        "HAS_SNAPSHOTS",
        "IMAGE_HARDLINKED",
        "IMAGE_NOT_REGULAR_FILE",
        "JOB_ACTIVE",
        "NFS_TOO_OLD",
        "NOT_IMAGE_DISK",
        "PREALLOCATED",
        "RUN_STILL_ALIVE",
        "STORAGE_DOMAIN_NOT_ACTIVE",
        "UNPLUGGED_FROM_RUNNING_VM",
        "VM_NOT_DOWN",
        "EXTERNAL_DATA_FILE",
        "BACKING_OUTSIDE_CHAIN",
        "UNKNOWN_FEATURES",
        "FORMAT_MISMATCH",
        "ENCRYPTED",
        "HEADER_INVALID",
        "NOT_REGULAR_FILE",
        "UNREADABLE",
        "CHAIN_CHANGED",
        "NOT_INSPECTED",
        "VM_STATE_UNKNOWN",
      ].sort(),
    );
  });
});

describe("libvirt VMs", () => {
  it("a manual VM set to UNKNOWN stays VM_NOT_DOWN (only libvirt VMs get VM_STATE_UNKNOWN)", () => {
    const f = sparsifiable();
    const { blockers } = assessSparsify({ ...f, attachments: [{ vmName: "web01", vmStatus: VmStatus.UNKNOWN, plugged: true }] });
    expect(codes(blockers)).toEqual([Code.VM_NOT_DOWN]);
  });

  it("a running libvirt VM names its host next to its name", () => {
    const f = sparsifiable();
    const { blockers } = assessSparsify({
      ...f,
      attachments: [{ vmName: "web01", vmStatus: VmStatus.UP, plugged: true, vmHost: "kvm-a", vmFromLibvirt: true }],
    });
    expect(codes(blockers)).toEqual([Code.VM_NOT_DOWN]);
    expect(blockers[0]!.message).toContain("web01 (host kvm-a)");
  });
});

describe("libvirt VMs: only DOWN lets the disks be sparsified, plugged or not", () => {
  // A libvirt attachment is in the domain's XML: `plugged` is false for any domain qemu does not
  // run (running or paused), yet a suspended or crashed domain may still hold its disks.
  const libvirtVm = (vmStatus: VmStatus, plugged: boolean) => ({
    vmName: "web01",
    vmStatus,
    plugged,
    vmHost: "kvm-a",
    vmFromLibvirt: true,
    vmHostLibvirt: LibvirtState.CONNECTED,
    vmLibvirtState: "whatever",
  });
  const rows = [
    { vmStatus: VmStatus.SUSPENDED, plugged: false, code: Code.VM_NOT_DOWN },
    { vmStatus: VmStatus.SUSPENDED, plugged: true, code: Code.VM_NOT_DOWN },
    { vmStatus: VmStatus.NOT_RESPONDING, plugged: false, code: Code.VM_NOT_DOWN },
    { vmStatus: VmStatus.NOT_RESPONDING, plugged: true, code: Code.VM_NOT_DOWN },
    { vmStatus: VmStatus.PAUSED, plugged: false, code: Code.VM_NOT_DOWN },
    { vmStatus: VmStatus.PAUSED, plugged: true, code: Code.VM_NOT_DOWN },
    { vmStatus: VmStatus.UP, plugged: false, code: Code.VM_NOT_DOWN },
    { vmStatus: VmStatus.UNKNOWN, plugged: false, code: Code.VM_STATE_UNKNOWN },
    { vmStatus: VmStatus.UNKNOWN, plugged: true, code: Code.VM_STATE_UNKNOWN },
  ];

  it.each(rows)("libvirt VM $vmStatus, plugged $plugged → $code, no warning", ({ vmStatus, plugged, code }) => {
    const { blockers, warnings } = assessSparsify({ ...sparsifiable(), attachments: [libvirtVm(vmStatus, plugged)] });
    expect(codes(blockers)).toEqual([code]);
    expect(warnings).toEqual([]);
    expect(blockers[0]!.message).toContain("web01 (host kvm-a)");
    if (code === Code.VM_NOT_DOWN) expect(blockers[0]!.message).toContain(vmStatus);
    expectSentence(blockers[0]!.message);
  });

  it.each([true, false])("libvirt VM DOWN, plugged %s → neither blocked nor warned", (plugged) => {
    expect(assessSparsify({ ...sparsifiable(), attachments: [libvirtVm(VmStatus.DOWN, plugged)] })).toEqual({
      blockers: [],
      warnings: [],
    });
  });
});

describe("VM_STATE_UNKNOWN says why, from the host's libvirt link", () => {
  const unknownVm = (vmHostLibvirt: LibvirtState | null, vmLibvirtState: string | null, vmHost: string | null = "kvm-a") => ({
    vmName: "web01",
    vmStatus: VmStatus.UNKNOWN,
    plugged: false,
    vmHost,
    vmFromLibvirt: true,
    vmHostLibvirt,
    vmLibvirtState,
  });
  const rows = [
    {
      name: "host connected, libvirt state word unrecognised",
      vm: unknownVm(LibvirtState.CONNECTED, "in shutdown"),
      says: ['libvirt on host kvm-a reports it as "in shutdown"', "does not recognise"],
      never: ["lost"],
    },
    {
      name: "host connected, no state word",
      vm: unknownVm(LibvirtState.CONNECTED, null),
      says: ["libvirt on host kvm-a did not say"],
      never: ["lost"],
    },
    {
      name: "host lost libvirt",
      vm: unknownVm(LibvirtState.UNREACHABLE, "shut off"),
      says: ["host kvm-a lost its libvirt connection"],
      never: ["shut off"],
    },
    {
      name: "host no longer follows libvirt",
      vm: unknownVm(LibvirtState.DISABLED, "running"),
      says: ["host kvm-a no longer follows libvirt"],
      never: ["lost", "running"],
    },
    { name: "no host", vm: unknownVm(null, null, null), says: ["no host reports it"], never: ["lost"] },
  ];

  it.each(rows)("$name", ({ vm, says, never }) => {
    const { blockers } = assessSparsify({ ...sparsifiable(), attachments: [vm] });
    expect(codes(blockers)).toEqual([Code.VM_STATE_UNKNOWN]);
    const message = blockers[0]!.message;
    expectSentence(message);
    expect(message).toContain("never assumed down");
    for (const s of says) expect(message).toContain(s);
    for (const s of never) expect(message).not.toContain(s);
  });
});

describe("nfsSupportsDiscard", () => {
  it.each([
    { version: "4.2", expected: true },
    { version: "4.3", expected: true },
    { version: "4.10", expected: true },
    { version: "5", expected: true },
    { version: "5.0", expected: true },
    { version: "4.1", expected: false },
    { version: "4.0", expected: false },
    { version: "4", expected: false },
    { version: "3", expected: false },
    { version: "2", expected: false },
    { version: "", expected: false },
    { version: "garbage", expected: false },
  ])("NFS $version → $expected", ({ version, expected }) => {
    expect(nfsSupportsDiscard(version)).toBe(expected);
  });
});

describe("inspection codes are blocker codes", () => {
  it("every InspectionCode is a SparsifyIssueCode with the same string", async () => {
    const { INSPECTION_CODES } = await import("../../src/host/inspect/inspection-code.js");
    for (const code of INSPECTION_CODES) expect(Object.values(Code)).toContain(code);
  });
});
