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
  attachments: { plugged: boolean; vm: { id: string; name: string; status: string } }[];
  lastSparsifyJob: JobSummary | null;
  /** Reclaim estimates: absent on gateways that predate them (see disksQuery). */
  reclaimableEstimate?: number | null;
  needsSparsify?: boolean;
  estimateUnavailableReason?: string | null;
}

export interface Job extends JobSummary {
  /** Runs so far: above 1 when a worker died with the job and another took it over. */
  attempts: number;
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
