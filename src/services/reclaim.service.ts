import { randomUUID } from "node:crypto";
import { StorageDomain } from "../entities/index.js";
import { AppError, ErrorCode, badInput, notFound } from "../errors.js";
import type { EstimateJobData } from "../jobs/queue/job-catalog.js";
import { JobName } from "../jobs/queue/queue-names.js";
import { recordEvent } from "./audit.js";
import type { Services } from "./context.js";
import { parseId } from "./ids.js";
import { refreshNeedsSparsify } from "./reclaim-policy.service.js";

/** Reclaim policy and domain-wide estimate runs. */
export class ReclaimService {
  constructor(private readonly s: Services) {}

  private async domain(idRaw: string): Promise<StorageDomain> {
    const domain = await this.s.db.getRepository(StorageDomain).findOneBy({ id: parseId(idRaw, "storageDomainId") });
    if (!domain) throw notFound("Storage domain", idRaw);
    return domain;
  }

  async setPolicy(
    idRaw: string,
    policy: { minReclaimableBytes?: number | null; minReclaimableRatio?: number | null },
    actor: string,
  ): Promise<StorageDomain> {
    const domain = await this.domain(idRaw);
    const ratio = policy.minReclaimableRatio ?? null;
    if (ratio !== null && !(ratio >= 0 && ratio <= 1))
      throw badInput("minReclaimableRatio must be between 0 and 1", "minReclaimableRatio");
    await this.s.db.transaction(async (em) => {
      await em.update(
        StorageDomain,
        { id: domain.id },
        { minReclaimableBytes: policy.minReclaimableBytes ?? null, minReclaimableRatio: ratio },
      );
      await refreshNeedsSparsify(em, this.s.config, domain.id);
      await recordEvent(em, {
        type: "RECLAIM_POLICY_SET",
        actor,
        storageDomainId: domain.id,
        message:
          `Reclaim policy of ${domain.name}: at least ${policy.minReclaimableBytes ?? "default"} bytes and ` +
          `${ratio ?? "default"} of actual size`,
      });
    });
    return (await this.s.db.getRepository(StorageDomain).findOneBy({ id: domain.id }))!;
  }

  /** Runs a domain-wide estimate on a host and waits for it up to SCAN_WAIT_MS. */
  async estimateDomain(idRaw: string, actor: string): Promise<StorageDomain> {
    const domain = await this.domain(idRaw);
    const jobId = randomUUID();
    const done = this.s.bus.waitFor("estimate", (m) => m.estimateJobId === jobId, this.s.config.SCAN_WAIT_MS);
    const data: EstimateJobData = { storageDomainId: domain.id, requestedBy: actor };
    try {
      await this.s.queues.enqueue(JobName.ESTIMATE, data, { jobId });
    } catch (error) {
      throw new AppError(
        ErrorCode.QUEUE_UNAVAILABLE,
        `Could not enqueue the estimate: the job queue is unreachable (${(error as Error).message})`,
      );
    }
    await done;
    return (await this.s.db.getRepository(StorageDomain).findOneBy({ id: domain.id }))!;
  }
}
