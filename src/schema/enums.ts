import { registerEnumType } from "type-graphql";
import { SparsifyIssueCode } from "../domain/sparsify-issue.js";
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
registerEnumType(VmSource, { name: "VmSource", description: "LIBVIRT: read live from a host's libvirt (read-only here); MANUAL: entered by a person." });
registerEnumType(LibvirtState, { name: "LibvirtState" });

export {
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
