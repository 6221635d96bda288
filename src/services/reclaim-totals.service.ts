import type { DataSource } from "typeorm";
import { badInput } from "../errors.js";
import { ReclaimGrouping, TimeBucket } from "../domain/reclaim-grouping.js";

export interface ReclaimTotalRow {
  key: string | null;
  label: string | null;
  bucketStart: Date | null;
  reclaimedBytes: number;
  jobs: number;
}

const GROUP: Record<ReclaimGrouping, { key: string; label: string }> = {
  [ReclaimGrouping.TOTAL]: { key: "NULL::uuid", label: "NULL::text" },
  [ReclaimGrouping.STORAGE_DOMAIN]: { key: 'j."storageDomainId"', label: "sd.name" },
  [ReclaimGrouping.DISK]: { key: 'j."diskId"', label: "d.alias" },
};
const BUCKET: Record<TimeBucket, string> = {
  [TimeBucket.ALL]: "NULL::timestamptz",
  [TimeBucket.DAY]: `date_trunc('day', j."finishedAt", 'UTC')`,
  [TimeBucket.WEEK]: `date_trunc('week', j."finishedAt", 'UTC')`,
  [TimeBucket.MONTH]: `date_trunc('month', j."finishedAt", 'UTC')`,
};

/** Bytes reclaimed by SUCCEEDED jobs, grouped and bucketed in SQL (one statement). */
export async function reclaimTotals(
  db: DataSource,
  args: { groupBy: ReclaimGrouping; bucket: TimeBucket; since?: Date | null; until?: Date | null },
): Promise<ReclaimTotalRow[]> {
  const group = GROUP[args.groupBy];
  const bucket = BUCKET[args.bucket];
  if (!group || !bucket) throw badInput("unknown grouping or bucket");
  if (args.since && args.until && args.since > args.until) throw badInput("since must not be after until", "since");
  const rows: { key: string | null; label: string | null; bucketStart: Date | null; reclaimed: string; jobs: number }[] =
    await db.query(
      `SELECT ${group.key} AS key, ${group.label} AS label, ${bucket} AS "bucketStart",
            COALESCE(sum(j."actualSizeBefore" - j."actualSizeAfter"), 0)::text AS reclaimed, count(*)::int AS jobs
       FROM sparsify_job j
       LEFT JOIN disk d ON d.id = j."diskId"
       LEFT JOIN storage_domain sd ON sd.id = j."storageDomainId"
      WHERE j.state = 'SUCCEEDED' AND j."actualSizeAfter" IS NOT NULL
        AND ($1::timestamptz IS NULL OR j."finishedAt" >= $1) AND ($2::timestamptz IS NULL OR j."finishedAt" < $2)
      GROUP BY 1, 2, 3
      ORDER BY 3 NULLS FIRST, sum(j."actualSizeBefore" - j."actualSizeAfter") DESC`,
      [args.since ?? null, args.until ?? null],
    );
  return rows.map((r) => ({
    key: r.key,
    label: r.label,
    bucketStart: r.bucketStart,
    reclaimedBytes: Number(r.reclaimed),
    jobs: r.jobs,
  }));
}
