import { CronExpressionParser } from "cron-parser";
import { isValidTimeZone, parseHhmm } from "../domain/maintenance-window.js";
import { SparsifySchedule, StorageDomain } from "../entities/index.js";
import { badInput, notFound } from "../errors.js";
import { JOB_CATALOG, Lane } from "../jobs/queue/job-catalog.js";
import { JobName, type ScheduledRunData } from "../jobs/queue/queue-names.js";
import { recordEvent } from "./audit.js";
import type { Services } from "./context.js";
import { parseId } from "./ids.js";

export interface ScheduleInput {
  cron: string;
  timezone?: string | null;
  windowStart?: string | null;
  windowEnd?: string | null;
  maxConcurrent?: number | null;
  enabled?: boolean | null;
}

export const schedulerId = (storageDomainId: string) => `schedule-${storageDomainId}`;

/** Validates what a person typed, with messages that say what is wrong. */
export interface ValidSchedule {
  cron: string;
  timezone: string;
  windowStart: string | null;
  windowEnd: string | null;
  maxConcurrent: number;
  enabled: boolean;
}

/** The audit message of a schedule change. */
function scheduleSummary(domainName: string, valid: ValidSchedule): string {
  const window = valid.windowStart ? `, window ${valid.windowStart}–${valid.windowEnd}` : "";
  const state = valid.enabled ? "" : ", disabled";
  return `Sparsify schedule of ${domainName}: "${valid.cron}" (${valid.timezone})${window}, up to ${valid.maxConcurrent} at once${state}`;
}

export function validateSchedule(input: ScheduleInput): ValidSchedule {
  const timezone = input.timezone ?? "UTC";
  if (!isValidTimeZone(timezone)) throw badInput(`unknown time zone ${timezone}`, "timezone");
  const fields = input.cron.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 6 || input.cron.length > 200)
    throw badInput("cron must have 5 fields (minute hour day month weekday), or 6 with seconds first", "cron");
  try {
    CronExpressionParser.parse(input.cron, { tz: timezone });
  } catch (error) {
    throw badInput(`cron expression ${JSON.stringify(input.cron)} is invalid: ${(error as Error).message}`, "cron");
  }
  const [ws, we] = [input.windowStart ?? null, input.windowEnd ?? null];
  if ((ws === null) !== (we === null)) throw badInput("give both windowStart and windowEnd, or neither", "windowStart");
  if (ws !== null && (parseHhmm(ws) === null || parseHhmm(we!) === null))
    throw badInput("window times are HH:MM (00:00–23:59)", "windowStart");
  const maxConcurrent = input.maxConcurrent ?? 1;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1 || maxConcurrent > 100)
    throw badInput("maxConcurrent must be 1–100", "maxConcurrent");
  return { cron: input.cron.trim(), timezone, windowStart: ws, windowEnd: we, maxConcurrent, enabled: input.enabled ?? true };
}

/**
 * Periodic sparsify per storage domain, timed by a BullMQ job scheduler on the domain's queue:
 * kept in Redis under one id per domain, so it survives restarts and fires once however many
 * gateways run. PostgreSQL keeps the definition so the reconciler can restore a lost scheduler.
 */
export class ScheduleService {
  constructor(private readonly s: Services) {}

  async get(storageDomainId: string): Promise<SparsifySchedule | null> {
    return this.s.db.getRepository(SparsifySchedule).findOneBy({ storageDomainId });
  }

  async set(domainIdRaw: string, input: ScheduleInput, actor: string): Promise<SparsifySchedule> {
    const domainId = parseId(domainIdRaw, "storageDomainId");
    const valid = validateSchedule(input);
    const domain = await this.s.db.getRepository(StorageDomain).findOneBy({ id: domainId });
    if (!domain) throw notFound("Storage domain", domainId);
    await this.s.db.getRepository(SparsifySchedule).upsert({ storageDomainId: domainId, ...valid }, ["storageDomainId"]);
    const schedule = (await this.get(domainId))!;
    await this.install(schedule);
    await recordEvent(this.s.db.manager, {
      type: "SCHEDULE_SET",
      actor,
      storageDomainId: domainId,
      message: scheduleSummary(domain.name, valid),
    });
    return schedule;
  }

  async remove(domainIdRaw: string, actor: string): Promise<boolean> {
    const domainId = parseId(domainIdRaw, "storageDomainId");
    const schedule = await this.get(domainId);
    if (!schedule) throw notFound("Sparsify schedule of storage domain", domainId);
    await this.s.queues.queueOf(JobName.SCHEDULED_RUN, domainId).removeJobScheduler(schedulerId(domainId));
    await this.s.db.getRepository(SparsifySchedule).delete({ id: schedule.id });
    await recordEvent(this.s.db.manager, {
      type: "SCHEDULE_REMOVED",
      actor,
      storageDomainId: domainId,
      message: "Sparsify schedule removed",
    });
    return true;
  }

  /** Makes Redis match the row (idempotent): the reconciler calls it for every schedule. */
  async install(schedule: SparsifySchedule): Promise<void> {
    const queue = this.s.queues.queueOf(JobName.SCHEDULED_RUN, schedule.storageDomainId);
    // Before lanes, schedulers lived on the sparsify queue: remove such a leftover so it cannot fire twice.
    await this.s.queues.get(schedule.storageDomainId, Lane.SPARSIFY).removeJobScheduler(schedulerId(schedule.storageDomainId));
    if (!schedule.enabled) {
      await queue.removeJobScheduler(schedulerId(schedule.storageDomainId));
      return;
    }
    const data: ScheduledRunData = { storageDomainId: schedule.storageDomainId };
    await queue.upsertJobScheduler(
      schedulerId(schedule.storageDomainId),
      { pattern: schedule.cron, tz: schedule.timezone },
      { name: JobName.SCHEDULED_RUN, data, opts: JOB_CATALOG[JobName.SCHEDULED_RUN].options(data) },
    );
  }

  /** Restores schedulers Redis lost (restart without persistence, flush). */
  async ensureInstalled(): Promise<number> {
    let restored = 0;
    for (const schedule of await this.s.db.getRepository(SparsifySchedule).findBy({ enabled: true })) {
      if (
        !(await this.s.queues
          .queueOf(JobName.SCHEDULED_RUN, schedule.storageDomainId)
          .getJobScheduler(schedulerId(schedule.storageDomainId)))
      ) {
        await this.install(schedule);
        restored++;
      }
    }
    return restored;
  }
}
