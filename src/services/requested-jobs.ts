import type { EntityManager } from "typeorm";
import type { SparsifyIssue } from "../domain/sparsify-issue.js";
import type { SparsifyJob } from "../entities/index.js";

/** One accepted request: its new job, the locked disk's assessment and the audit line. */
export interface RequestedJob {
  job: SparsifyJob;
  /** The disk's assessment once locked by this job (stored so lists can filter in SQL). */
  locked: { sparsifiable: boolean; blockers: SparsifyIssue[]; warnings: SparsifyIssue[] };
  /** The JOB_QUEUED audit event's message. */
  message: string;
}

/**
 * Creates the jobs, locks their disks and records the JOB_QUEUED events in ONE statement (three
 * data-modifying CTEs over unnest() arrays), inside the caller's transaction: one round trip
 * whatever the count, for sparsifyDisk and sparsifyDisks alike. A second active job for a disk
 * still fails on the partial unique index (23505), which rolls back the whole statement.
 */
export async function writeRequestedJobs(em: EntityManager, requested: readonly RequestedJob[], actor: string): Promise<void> {
  if (requested.length === 0) return;
  const jobs = requested.map((r) => r.job);
  await em.query(
    `WITH job AS (
       INSERT INTO sparsify_job (id, "diskId", "storageDomainId", "requestedBy", trigger, "actualSizeBefore", "createdAt")
       SELECT j.id, j.disk, j.domain, $4, j.trigger, j.size, j.created
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $5::text[], $6::bigint[], $7::timestamptz[])
           AS j(id, disk, domain, trigger, size, created)
       RETURNING id
     ), locked AS (
       UPDATE disk d
          SET status = 'LOCKED', sparsifiable = v.sparsifiable, blockers = v.blockers, warnings = v.warnings, "updatedAt" = now()
         FROM unnest($2::uuid[], $8::boolean[], $9::jsonb[], $10::jsonb[]) AS v(id, sparsifiable, blockers, warnings)
        WHERE d.id = v.id
       RETURNING d.id
     ), queued AS (
       INSERT INTO event (type, actor, "diskId", "jobId", "storageDomainId", message)
       SELECT 'JOB_QUEUED', $4, e.disk, e.job, e.domain, e.message
         FROM unnest($2::uuid[], $1::uuid[], $3::uuid[], $11::text[]) AS e(disk, job, domain, message)
       RETURNING id
     )
     SELECT (SELECT count(*) FROM job) AS jobs, (SELECT count(*) FROM locked) AS disks, (SELECT count(*) FROM queued) AS events`,
    [
      jobs.map((j) => j.id),
      jobs.map((j) => j.diskId),
      jobs.map((j) => j.storageDomainId),
      actor,
      jobs.map((j) => j.trigger),
      jobs.map((j) => j.actualSizeBefore),
      jobs.map((j) => j.createdAt),
      requested.map((r) => r.locked.sparsifiable),
      requested.map((r) => JSON.stringify(r.locked.blockers)),
      requested.map((r) => JSON.stringify(r.locked.warnings)),
      requested.map((r) => r.message),
    ],
  );
}
