import type { Principal } from "../domain/roles.js";
import type { JobFeed } from "../jobs/queue/job-feed.js";
import type { JobPubSub } from "../jobs/queue/job-stream.js";
import type { Services } from "../services/context.js";
import type { DiskService } from "../services/disk.service.js";
import type { SparsifyService } from "../services/sparsify.service.js";
import type { ReclaimService } from "../services/reclaim.service.js";
import type { ScheduleService } from "../services/schedule.service.js";
import type { TokenService } from "../services/token.service.js";
import type { StorageDomainService } from "../services/storage-domain.service.js";
import type { VmService } from "../services/vm.service.js";
import type { Loaders } from "./loaders.js";

export interface GatewayServices extends Services {
  domains: StorageDomainService;
  disks: DiskService;
  vms: VmService;
  sparsify: SparsifyService;
  tokens: TokenService;
  reclaim: ReclaimService;
  schedules: ScheduleService;
  /** This gateway's in-process pubsub, fed from the Redis bus. */
  pubSub: JobPubSub;
  /** The same job changes by job id, for sparsifyJob(id) subscribers. */
  jobFeed: JobFeed;
}

/** Built per request (HTTP) or per operation (WebSocket). */
export interface GatewayContext {
  services: GatewayServices;
  loaders: Loaders;
  /** Who asks: null when no valid token came with the request. */
  principal: Principal | null;
  authFailure?: "missing" | "invalid";
  /** Token name, recorded on every job and audit event. */
  actor: string;
  /** Remote address (HTTP), for rate limits of unauthenticated calls. */
  clientAddress?: string;
  /** HTTP: the failed-authentication check still under way (seconds blocked, or null); awaited before execution. */
  authBlockedFor?: Promise<number | null>;
}
