import { JobTrigger } from "../../domain/sparsify-job-enums.js";
import type { Logger } from "pino";
import { In } from "typeorm";
import { insideWindow } from "../../domain/maintenance-window.js";
import { ACTIVE_JOB_STATES } from "../../entities/enums.js";
import { Disk, SparsifyJob, SparsifySchedule, StorageDomain } from "../../entities/index.js";
import { recordEvent } from "../../services/audit.js";
import type { Services } from "../../services/context.js";
import { SparsifyService } from "../../services/sparsify.service.js";
import { processEstimate } from "./estimate.processor.js";
import type { ScheduledRunData } from "../queue/queue-names.js";

export interface ScheduledRunSummary {
  ran: boolean;
  reason?: string;
  started: string[];
  skipped: { diskId: string; alias: string; blockers: { code: string; message: string }[] }[];
  deferred: string[];
}

/**
 * One tick of a domain's sparsify schedule: inside the window, refresh the estimates, then start
 * jobs (trigger SCHEDULE) for the disks that need it, biggest win first, up to the concurrency
 * cap; disks that need it but are blocked are recorded with their blockers.
 */
export async function processScheduledRun(
  data: ScheduledRunData,
  s: Services,
  log: Logger,
  hostName: string,
  now = new Date(),
): Promise<ScheduledRunSummary> {
  const summary: ScheduledRunSummary = { ran: false, started: [], skipped: [], deferred: [] };
  const [schedule, domain] = await Promise.all([
    s.db.getRepository(SparsifySchedule).findOneBy({ storageDomainId: data.storageDomainId }),
    s.db.getRepository(StorageDomain).findOneBy({ id: data.storageDomainId }),
  ]);
  if (!schedule || !domain || !schedule.enabled) return { ...summary, reason: "no enabled schedule" };
  const actor = `schedule:${domain.name}`;
  if (!insideWindow(now, schedule.timezone, schedule.windowStart, schedule.windowEnd)) {
    summary.reason = `outside the maintenance window ${schedule.windowStart}–${schedule.windowEnd} (${schedule.timezone})`;
  } else {
    summary.ran = true;
    await processEstimate({ storageDomainId: domain.id, requestedBy: actor }, { config: s.config, db: s.db, log, hostName });
    const candidates = await s.db
      .getRepository(Disk)
      .find({ where: { storageDomainId: domain.id, needsSparsify: true }, order: { reclaimableEstimate: "DESC", alias: "ASC" } });
    const running = await s.db
      .getRepository(SparsifyJob)
      .countBy({ storageDomainId: domain.id, trigger: JobTrigger.SCHEDULE, state: In([...ACTIVE_JOB_STATES]) });
    let slots = schedule.maxConcurrent - running;
    const sparsify = new SparsifyService(s);
    for (const disk of candidates) {
      if (!disk.sparsifiable) {
        summary.skipped.push({ diskId: disk.id, alias: disk.alias, blockers: disk.blockers });
        continue;
      }
      if (slots <= 0) {
        summary.deferred.push(disk.id);
        continue;
      }
      try {
        summary.started.push((await sparsify.request(disk.id, actor, JobTrigger.SCHEDULE)).id);
        slots--;
      } catch (error) {
        const blockers = (error as { extensions?: { blockers?: ScheduledRunSummary["skipped"][0]["blockers"] } }).extensions
          ?.blockers ?? [{ code: "ERROR", message: (error as Error).message }];
        summary.skipped.push({ diskId: disk.id, alias: disk.alias, blockers });
      }
    }
  }
  await s.db
    .getRepository(SparsifySchedule)
    .update({ id: schedule.id }, { lastRunAt: now, lastRunSummary: summary as unknown as object });
  await recordEvent(s.db.manager, {
    type: summary.ran ? "SCHEDULE_RUN" : "SCHEDULE_SKIPPED",
    actor,
    storageDomainId: domain.id,
    message: summary.ran
      ? `Scheduled run of ${domain.name}: ${summary.started.length} job(s) started, ` +
        `${summary.skipped.length} disk(s) skipped as blocked, ${summary.deferred.length} deferred by ` +
        "the concurrency cap"
      : `Scheduled run of ${domain.name} skipped: ${summary.reason}`,
    data: summary as unknown as Record<string, unknown>,
  });
  for (const skipped of summary.skipped) {
    await recordEvent(s.db.manager, {
      type: "SCHEDULE_DISK_SKIPPED",
      actor,
      diskId: skipped.diskId,
      storageDomainId: domain.id,
      message: `Not sparsified by the schedule: ${skipped.blockers.map((b) => b.message).join("; ")}`,
      data: { blockers: skipped.blockers },
    });
  }
  return summary;
}
