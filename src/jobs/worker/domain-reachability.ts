import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import { StorageDomain } from "../../entities/index.js";
import { refreshDomainAssessments } from "../../services/disk-assessment.service.js";

/**
 * Whether another host heartbeating within `offlineAfterMs` consumes this domain: then a domain
 * this host cannot reach is its own problem, not the domain's, and is not marked inaccessible.
 */
export async function seenByAnotherHost(
  db: DataSource,
  hostName: string,
  domainId: string,
  offlineAfterMs: number,
): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM host WHERE name <> $1 AND $2 = ANY("storageDomainIds") AND "heartbeatAt" > now() ` +
      "- ($3 || ' milliseconds')::interval LIMIT 1",
    [hostName, domainId, String(offlineAfterMs)],
  );
  return rows.length > 0;
}

/** Records why a domain is inaccessible (null: reachable again) and re-assesses its disks with it. */
export async function setReachability(db: DataSource, log: Logger, domain: StorageDomain, reason: string | null): Promise<void> {
  await db.transaction(async (em) => {
    await em.update(StorageDomain, { id: domain.id }, { inaccessibleReason: reason });
    await refreshDomainAssessments(em, domain.id);
  });
  log.info({ domain: domain.name, reason }, reason ? "storage domain inaccessible" : "storage domain reachable");
}
