import { registerEnumType } from "type-graphql";
import { DirectFallbackReason, SparsifyMethod } from "../domain/direct-method.js";
import { DirectVerifyMode } from "../domain/direct-verify-mode.js";
import { EstimateMethod, EstimateUnavailableReason } from "../domain/estimate-enums.js";
import { JobErrorCode } from "../domain/job-error-code.js";
import { SparsifyIssueCode } from "../domain/sparsify-issue.js";
import { JobTrigger, SparsifyPhase } from "../domain/sparsify-job-enums.js";
import { SparsifyOutcome } from "../domain/sparsify-outcome.js";
import {
  AllocationSource,
  DiskAllocation,
  DiskFormat,
  DiskStatus,
  JobState,
  ScanState,
  StorageDomainStatus,
  StorageKind,
  StorageType,
  VmStatus,
  VmSource,
  LibvirtState,
} from "../entities/enums.js";

registerEnumType(StorageDomainStatus, { name: "StorageDomainStatus" });
registerEnumType(StorageKind, { name: "StorageKind" });
registerEnumType(ScanState, { name: "ScanState" });
registerEnumType(DiskFormat, { name: "DiskFormat" });
registerEnumType(DiskAllocation, { name: "DiskAllocation" });
registerEnumType(AllocationSource, { name: "AllocationSource" });
registerEnumType(StorageType, { name: "StorageType" });
registerEnumType(DiskStatus, { name: "DiskStatus" });
registerEnumType(VmStatus, { name: "VmStatus" });
registerEnumType(JobState, { name: "JobState" });
registerEnumType(SparsifyIssueCode, { name: "SparsifyIssueCode" });
// The enums below live in domain/ so the worker writes exactly what the API declares.
registerEnumType(SparsifyPhase, {
  name: "SparsifyPhase",
  description: "Coarse phases of a sparsify job, in the order they happen.",
});
registerEnumType(SparsifyOutcome, {
  name: "SparsifyOutcome",
  description: "What a successful sparsify run did; outcomeMessage says it in words.",
});
registerEnumType(JobTrigger, {
  name: "JobTrigger",
  description: "Who asked for the job: a user, or the storage domain's schedule.",
});
registerEnumType(JobErrorCode, { name: "JobErrorCode", description: "Why a job ended FAILED." });
registerEnumType(EstimateMethod, {
  name: "EstimateMethod",
  description: "How a reclaimable-space estimate was made; estimateDetail names the filesystems.",
});
registerEnumType(EstimateUnavailableReason, {
  name: "EstimateUnavailableReason",
  description: "Why a disk has no reclaimable-space estimate.",
});
registerEnumType(VmSource, {
  name: "VmSource",
  description: "LIBVIRT: read live from a host's libvirt (read-only here); MANUAL: entered by a person.",
});
registerEnumType(LibvirtState, { name: "LibvirtState" });
registerEnumType(SparsifyMethod, {
  name: "SparsifyMethod",
  description:
    "How a storage domain's disks are sparsified: virt-sparsify (the appliance) or DIRECT (discards of proven free space).",
});
registerEnumType(DirectFallbackReason, {
  name: "DirectFallbackReason",
  description: "Why a job asked to run DIRECT ran virt-sparsify instead; always decided before any discard.",
});
registerEnumType(DirectVerifyMode, {
  name: "DirectVerifyMode",
  description:
    "How a DIRECT run is checked before it succeeds: STANDARD (fsck -n, free/used maps) or FULL (also a hash of every in-use byte).",
});

export {
  DirectFallbackReason,
  DirectVerifyMode,
  SparsifyMethod,
  EstimateMethod,
  EstimateUnavailableReason,
  JobErrorCode,
  JobTrigger,
  SparsifyOutcome,
  SparsifyPhase,
  AllocationSource,
  DiskAllocation,
  DiskFormat,
  DiskStatus,
  JobState,
  ScanState,
  SparsifyIssueCode,
  StorageDomainStatus,
  StorageKind,
  StorageType,
  VmStatus,
  VmSource,
  LibvirtState,
};
