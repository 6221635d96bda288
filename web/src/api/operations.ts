/** Every operation the UI sends, in one place so the selections stay consistent. */

const ISSUE = "{ code message }";

export const JOB_FIELDS = `id state phase progress host actualSizeBefore actualSizeAfter reclaimedBytes outcome outcomeMessage
  error { code message } requestedBy cancelRequestedAt createdAt startedAt finishedAt disk { id alias }`;

export const DISK_FIELDS = `id alias format allocation virtualSize actualSize status sparsifiable
  blockers ${ISSUE} warnings ${ISSUE} storageDomain { id name }
  attachments { plugged vm { id name status source host { name } } } lastSparsifyJob { id state progress phase }`;

const VM_SUMMARY = `id name status source libvirtUuid libvirtState syncedAt host { id name libvirt { state } }`;

export const VMS = `query Vms { vms { ${VM_SUMMARY} attachments { id } } }`;

export const VM = `query Vm($id: ID!) { vm(id: $id) { ${VM_SUMMARY}
  attachments { id plugged targetDev driverType readOnly shareable disk { ${DISK_FIELDS} } }
  disks { target bus device source driverType readOnly shareable diskId } } }`;

export const ME = `query Me { me { name role expiresAt } }`;

export const STORAGE_DOMAINS = `query StorageDomains { storageDomains { id name status } }`;

/** The storage domains page: status, reclaim estimate, policy and periodic sparsify schedule. */
export const STORAGE_DOMAIN_DETAILS = `query StorageDomainDetails {
  storageDomains {
    id name path status statusReason scanState lastScannedAt reclaimableTotal
    reclaimPolicy { minReclaimableBytes minReclaimableRatio inherited }
    schedule { cron timezone windowStart windowEnd maxConcurrent enabled lastRunAt lastRunSummary }
  }
}`;

/** Newer than the rest of the schema: the UI asks for them and drops them if the gateway does not know them. */
export const ESTIMATE_FIELDS = ["reclaimableEstimate", "needsSparsify", "estimateUnavailableReason"] as const;

export const disksQuery = (estimates: boolean) => `query Disks($first: Int, $after: String, $filter: DiskFilter, $orderBy: DiskOrder) {
  disks(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { ${DISK_FIELDS}${estimates ? ` ${ESTIMATE_FIELDS.join(" ")}` : ""} } }
  }
}`;

export const SPARSIFY_DISK = `mutation SparsifyDisk($diskId: ID!) { sparsifyDisk(diskId: $diskId) { ${JOB_FIELDS} } }`;

export const CANCEL_JOB = `mutation CancelSparsifyJob($id: ID!) { cancelSparsifyJob(id: $id) { ${JOB_FIELDS} } }`;

export const JOBS = `query SparsifyJobs($first: Int, $after: String, $filter: SparsifyJobFilter) {
  sparsifyJobs(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { ${JOB_FIELDS} } }
  }
}`;

export const WATCH_JOB = `subscription WatchJob($id: ID!) { sparsifyJob(id: $id) { ${JOB_FIELDS} } }`;

export const JOB_EVENTS = `subscription JobEvents { sparsifyJobEvents { ${JOB_FIELDS} } }`;
