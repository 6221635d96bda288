/**
 * Names for the generated API types the UI passes around. Nothing here is written by hand: each
 * is a generated type (from schema.graphql and the documents in operations.ts) or a part of one.
 */
import type {
  DiskFieldsFragment,
  DisksQuery,
  IssueFieldsFragment,
  JobFieldsFragment,
  JobState,
  MeQuery,
  StorageDomainDetailsQuery,
  StorageDomainsQuery,
  VmQuery,
  VmsQuery,
} from "./generated/graphql";

export type {
  DiskFilter,
  DiskOrder,
  DiskOrderField as OrderField,
  JobErrorCode,
  JobState,
  OrderDirection,
  Role,
  SparsifyPhase,
} from "./generated/graphql";

export type Me = MeQuery["me"];
/** A blocker (why a disk cannot be sparsified) or a warning (what to know first). */
export type Issue = IssueFieldsFragment;
export type Disk = DiskFieldsFragment;
export type Job = JobFieldsFragment;
export type JobSummary = NonNullable<Disk["lastSparsifyJob"]>;
export type DiskConnection = DisksQuery["disks"];
export type StorageDomain = StorageDomainsQuery["storageDomains"][number];
export type StorageDomainDetails = StorageDomainDetailsQuery["storageDomains"][number];
export type ReclaimPolicy = StorageDomainDetails["reclaimPolicy"];
export type SparsifySchedule = NonNullable<StorageDomainDetails["schedule"]>;
export type VmSummary = VmsQuery["vms"][number];
export type VmDetails = NonNullable<VmQuery["vm"]>;
export type VmSource = VmSummary["source"];

export const ACTIVE_STATES: readonly JobState[] = ["QUEUED", "RUNNING"];
export const isActive = (state: JobState) => ACTIVE_STATES.includes(state);

export type LibvirtDisk = VmDetails["disks"][number];
export type { TimeBucket } from "./generated/graphql";
import type { ApiTokensQuery, AuditEventsQuery, DomainSizesQuery, HostsQuery } from "./generated/graphql";
export type Host = HostsQuery["hosts"][number];
export type ApiToken = ApiTokensQuery["apiTokens"][number];
export type AuditEvent = AuditEventsQuery["events"]["edges"][number]["node"];
export type DomainSizes = DomainSizesQuery["storageDomains"][number];
