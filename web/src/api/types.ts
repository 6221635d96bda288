/** The shapes the UI selects from the gateway's schema (bytes are exact JSON numbers). */

export type Role = "VIEWER" | "OPERATOR" | "ADMIN";
export type JobState = "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
export type OrderField = "ALIAS" | "ACTUAL_SIZE" | "VIRTUAL_SIZE" | "RECLAIMABLE";
export type OrderDirection = "ASC" | "DESC";

export interface Me {
  name: string;
  role: Role;
  expiresAt: string | null;
}

/** A blocker (why a disk cannot be sparsified) or a warning (what to know first). */
export interface Issue {
  code: string;
  message: string;
}

export interface StorageDomain {
  id: string;
  name: string;
  status: string;
}

export interface ReclaimPolicy {
  minReclaimableBytes: number;
  /** 0–1 of the disk's actual size. */
  minReclaimableRatio: number;
  /** The domain sets nothing of its own: the global default applies. */
  inherited: boolean;
}

/** What the last scheduled run did (job ids started, disks skipped as blocked, disks deferred). */
export interface ScheduleRunSummary {
  ran?: boolean;
  started?: unknown[];
  skipped?: unknown[];
  deferred?: unknown[];
  reason?: string;
}

export interface SparsifySchedule {
  cron: string;
  timezone: string;
  windowStart: string | null;
  windowEnd: string | null;
  maxConcurrent: number;
  enabled: boolean;
  lastRunAt: string | null;
  lastRunSummary: ScheduleRunSummary | null;
}

export interface StorageDomainDetails extends StorageDomain {
  path: string;
  statusReason: string | null;
  scanState: string;
  lastScannedAt: string | null;
  reclaimableTotal: number;
  reclaimPolicy: ReclaimPolicy;
  schedule: SparsifySchedule | null;
}

export interface JobSummary {
  id: string;
  state: JobState;
  progress: number;
  phase: string;
}

export interface Disk {
  id: string;
  alias: string;
  format: string;
  allocation: string;
  virtualSize: number;
  actualSize: number;
  status: string;
  sparsifiable: boolean;
  blockers: Issue[];
  warnings: Issue[];
  storageDomain: { id: string; name: string };
  attachments: { plugged: boolean; vm: { id: string; name: string; status: string; source?: VmSource; host?: { name: string } | null } }[];
  lastSparsifyJob: JobSummary | null;
  /** Reclaim estimates: absent on gateways that predate them (see disksQuery). */
  reclaimableEstimate?: number | null;
  needsSparsify?: boolean;
  estimateUnavailableReason?: string | null;
}

export interface Job extends JobSummary {
  host: string | null;
  actualSizeBefore: number | null;
  actualSizeAfter: number | null;
  reclaimedBytes: number | null;
  outcome: string | null;
  outcomeMessage: string | null;
  error: { code: string; message: string } | null;
  requestedBy: string;
  cancelRequestedAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  disk: { id: string; alias: string } | null;
}

export interface Connection<T> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: T }[];
}

export interface DiskFilter {
  storageDomainId?: string;
  sparsifiable?: boolean;
  needsSparsify?: boolean;
  text?: string;
}

export interface DiskOrder {
  field: OrderField;
  direction: OrderDirection;
}

export const ACTIVE_STATES: readonly JobState[] = ["QUEUED", "RUNNING"];
export const isActive = (state: JobState) => ACTIVE_STATES.includes(state);

export type VmSource = "LIBVIRT" | "MANUAL";

export interface VmSummary {
  id: string;
  name: string;
  status: string;
  source: VmSource;
  libvirtUuid: string | null;
  libvirtState: string | null;
  syncedAt: string | null;
  host: { id: string; name: string; libvirt: { state: "CONNECTED" | "UNREACHABLE" | "DISABLED" } } | null;
  attachments: { id: string }[];
}

export interface LibvirtDisk {
  target: string | null;
  bus: string | null;
  device: string;
  source: string | null;
  driverType: string | null;
  readOnly: boolean;
  shareable: boolean;
  diskId: string | null;
}

export interface VmDetails extends Omit<VmSummary, "attachments"> {
  attachments: { id: string; plugged: boolean; targetDev: string | null; driverType: string | null; readOnly: boolean; shareable: boolean; disk: Disk }[];
  disks: LibvirtDisk[];
}
