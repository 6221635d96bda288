import {
  DiskAllocation,
  DiskStatus,
  LibvirtState,
  StorageDomainStatus,
  StorageKind,
  StorageType,
  VmStatus,
} from "../entities/enums.js";
import type { DiskFacts } from "./disk-facts.js";
import { codedProblem } from "./coded-problem.js";
import { SparsifyIssueCode as Code, type SparsifyIssue } from "./sparsify-issue.js";

export interface SparsifyAssessment {
  blockers: SparsifyIssue[];
  warnings: SparsifyIssue[];
}

/** NFS before 4.2 has no punch-hole (fallocate/discard), so a trim frees nothing on the server. */
export function nfsSupportsDiscard(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map((n) => Number.parseInt(n, 10) || 0);
  return major > 4 || (major === 4 && minor >= 2);
}

type Rule = (f: DiskFacts) => SparsifyIssue | SparsifyIssue[] | null;

type Attachment = DiskFacts["attachments"][number];
const libvirtUnknown = (a: Attachment) => a.vmFromLibvirt === true && a.vmStatus === VmStatus.UNKNOWN;
/**
 * A libvirt attachment comes from the domain's own XML: the domain opens the disk whenever it runs,
 * whatever `plugged` says, and a suspended or crashed domain may still hold it. Only DOWN frees it.
 * A manual attachment's `plugged` is what a person said, so an unplugged one only warns.
 */
const holdsDisk = (a: Attachment) =>
  a.vmStatus !== VmStatus.DOWN && !libvirtUnknown(a) && (a.plugged || a.vmFromLibvirt === true);
const unpluggedFromLiveManualVm = (a: Attachment) => !a.plugged && a.vmStatus !== VmStatus.DOWN && a.vmFromLibvirt !== true;
/** Libvirt names are unique per host only: say which host. */
const vmLabel = (a: Attachment) => (a.vmHost ? `${a.vmName} (host ${a.vmHost})` : a.vmName);

const issue = (code: Code, message: string): SparsifyIssue => ({ code, message });

/** Why a libvirt VM's state is unknown, from its host's libvirt link: the fix differs. */
function unknownBecause(a: Attachment): string {
  if (!a.vmHost) return "no host reports it";
  switch (a.vmHostLibvirt) {
    case LibvirtState.CONNECTED:
      return a.vmLibvirtState
        ? `libvirt on host ${a.vmHost} reports it as "${a.vmLibvirtState}", a state the gateway does not recognise`
        : `libvirt on host ${a.vmHost} did not say which state it is in`;
    case LibvirtState.DISABLED:
      return `host ${a.vmHost} no longer follows libvirt, so nothing reports it`;
    case LibvirtState.UNREACHABLE:
      return `host ${a.vmHost} lost its libvirt connection`;
    default:
      return `host ${a.vmHost} cannot report it`;
  }
}

/**
 * Ordered like oVirt's SparsifyImageCommand validation, but every rule runs: a person sees every
 * reason at once instead of fixing them one by one.
 */
const blockerRules: Rule[] = [
  (f) =>
    f.status === DiskStatus.MISSING
      ? issue(Code.DISK_MISSING, "The disk's image file is gone from storage; rescan the domain or forget the disk")
      : null,
  (f) =>
    f.status === DiskStatus.ILLEGAL
      ? issue(Code.DISK_ILLEGAL, "The disk is marked illegal: its image could not be read consistently")
      : null,
  (f) => (f.inspection ? issue(f.inspection.code as Code, f.inspection.message) : null),
  (f) => {
    if (!f.chainProblem) return null;
    const coded = codedProblem(f.chainProblem);
    return coded
      ? issue(coded.code, coded.message)
      : issue(Code.CHAIN_INVALID, `The disk's volume chain is refused: ${f.chainProblem}`);
  },
  (f) =>
    f.activeJob
      ? issue(
          Code.JOB_ACTIVE,
          `A sparsify job is already ${f.activeJob.state.toLowerCase()} for this disk (job ${f.activeJob.id})`,
        )
      : f.status === DiskStatus.LOCKED
        ? issue(Code.DISK_LOCKED, "The disk is locked by another operation; wait for it to finish")
        : null,
  (f) =>
    f.runStillAlive
      ? issue(
          Code.RUN_STILL_ALIVE,
          `Processes of sparsify job ${f.runStillAlive.jobId} are still alive on host ` +
            `${f.runStillAlive.host} (pid ${f.runStillAlive.pids.join(", ")}), stuck on storage I/O, and may ` +
            "still write the image; the disk is released when they are gone (restore the storage, or abort " +
            "its connection)",
        )
      : null,
  (f) =>
    f.directVerificationFailed
      ? issue(
          Code.DIRECT_VERIFICATION_FAILED,
          `DIRECT sparsify job ${f.directVerificationFailed.jobId} failed its verification ` +
            `(${f.directVerificationFailed.message}); check the image before using it again`,
        )
      : null,
  (f) =>
    f.storageType !== StorageType.IMAGE
      ? issue(
          Code.NOT_IMAGE_DISK,
          `Only image disks can be sparsified; this is a ${f.storageType === StorageType.LUN ? "direct LUN" : "managed block"} disk`,
        )
      : null,
  (f) =>
    f.allocation === DiskAllocation.PREALLOCATED
      ? issue(Code.PREALLOCATED, "The disk is preallocated: sparsifying would silently turn it into a thin disk")
      : null,
  (f) =>
    f.derivedDiskAliases.length > 0
      ? issue(
          Code.HAS_DERIVED_DISKS,
          `The disk is the template of ${f.derivedDiskAliases.length} other disk(s) ` +
            `(${f.derivedDiskAliases.slice(0, 5).join(", ")}); qemu does not support changing a backing file ` +
            "under its overlays",
        )
      : null,
  (f) =>
    f.attachments
      .filter(holdsDisk)
      .map((a) =>
        issue(Code.VM_NOT_DOWN, `Attached to VM ${vmLabel(a)}, which is ${a.vmStatus}; shut it down or unplug the disk`),
      ),
  (f) =>
    f.attachments
      .filter(libvirtUnknown)
      .map((a) =>
        issue(
          Code.VM_STATE_UNKNOWN,
          `Attached to VM ${vmLabel(a)}, whose state is unknown: ${unknownBecause(a)}; it is never assumed down`,
        ),
      ),
  (f) =>
    (f.domain.libvirtUnreachableHosts ?? []).map((host) =>
      issue(
        Code.VM_STATE_UNKNOWN,
        `Host ${host} sees storage domain ${f.domain.name} and lost its libvirt connection: a VM there ` +
          "may use this disk; blocked until it reconnects",
      ),
    ),
  (f) =>
    f.domain.status !== StorageDomainStatus.ACTIVE
      ? issue(
          Code.STORAGE_DOMAIN_NOT_ACTIVE,
          `Storage domain ${f.domain.name} is ${f.domain.status}${f.domain.statusReason ? `: ${f.domain.statusReason}` : ""}`,
        )
      : null,
  (f) =>
    f.domain.kind === StorageKind.BLOCK
      ? issue(
          Code.BLOCK_STORAGE_DOMAIN,
          `Storage domain ${f.domain.name} is block storage, where a trim does not shrink the volume`,
        )
      : null,
  (f) =>
    f.domain.nfsVersion !== null && !nfsSupportsDiscard(f.domain.nfsVersion)
      ? issue(
          Code.NFS_TOO_OLD,
          `Storage domain ${f.domain.name} is mounted with NFS ${f.domain.nfsVersion}; reclaiming space needs NFS 4.2 or later`,
        )
      : null,
];

const warningRules: Rule[] = [
  (f) =>
    f.ownVolumeCount > 1
      ? issue(
          Code.HAS_SNAPSHOTS,
          `The disk has ${f.ownVolumeCount - 1} snapshot(s): only the active layer is sparsified, so space ` +
            "held by older snapshots does not come back and the active layer may even grow slightly; merge " +
            "the snapshots first to reclaim more",
        )
      : null,
  (f) =>
    f.attachments
      .filter(unpluggedFromLiveManualVm)
      .map((a) =>
        issue(
          Code.UNPLUGGED_FROM_RUNNING_VM,
          `Unplugged from VM ${vmLabel(a)} (${a.vmStatus}); do not plug it in while the job runs`,
        ),
      ),
];

const collect = (rules: Rule[], facts: DiskFacts) =>
  rules.flatMap((rule) => {
    const out = rule(facts);
    return out === null ? [] : Array.isArray(out) ? out : [out];
  });

/** Every reason the disk cannot be sparsified now, and every warning; sparsifiable = no blockers. */
export function assessSparsify(facts: DiskFacts): SparsifyAssessment {
  return { blockers: collect(blockerRules, facts), warnings: collect(warningRules, facts) };
}
