import type { DataSource, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { AuditEvent, SparsifyJob } from "../entities/index.js";
import { JobState } from "../entities/enums.js";
import { badInput } from "../errors.js";
import { keysetPage, type Page, type PageArgs } from "./keyset-page.js";
import { parseId } from "./ids.js";

export const MAX_HISTORY_PAGE = 500;

/** Newest first, keyset on (createdAt, id): stable while new rows arrive at the top. */
function newestFirst<T extends ObjectLiteral & { id: string; createdAt: Date }>(
  build: () => SelectQueryBuilder<T>,
  alias: string,
  args: PageArgs,
): Promise<Page<T>> {
  return keysetPage(
    {
      build,
      alias,
      orderSql: `${alias}."createdAt"`,
      direction: "DESC",
      cast: "::timestamptz",
      valueOf: (node) => new Date(node.createdAt).toISOString(),
      accepts: (value) => typeof value === "string" && !Number.isNaN(Date.parse(value)),
      defaultSize: 50,
      maxSize: MAX_HISTORY_PAGE,
    },
    args,
  );
}

export function listJobs(
  db: DataSource,
  args: PageArgs & { diskId?: string | null; vmId?: string | null; states?: JobState[] | null },
) {
  const diskId = args.diskId ? parseId(args.diskId, "filter.diskId") : null;
  const vmId = args.vmId ? parseId(args.vmId, "filter.vmId") : null;
  return newestFirst(
    () => {
      const qb = db.getRepository(SparsifyJob).createQueryBuilder("j").where("TRUE");
      if (diskId) qb.andWhere('j."diskId" = :diskId', { diskId });
      if (vmId) qb.andWhere('j."diskId" IN (SELECT a."diskId" FROM disk_attachment a WHERE a."vmId" = :vmId)', { vmId });
      if (args.states?.length) qb.andWhere("j.state IN (:...states)", { states: args.states });
      return qb;
    },
    "j",
    args,
  );
}

export function listEvents(
  db: DataSource,
  args: PageArgs & { diskId?: string | null; jobId?: string | null; types?: string[] | null },
) {
  const diskId = args.diskId ? parseId(args.diskId, "filter.diskId") : null;
  const jobId = args.jobId ? parseId(args.jobId, "filter.jobId") : null;
  if (args.types && args.types.length > 50) throw badInput("filter.types takes at most 50 types", "filter.types");
  return newestFirst(
    () => {
      const qb = db.getRepository(AuditEvent).createQueryBuilder("e").where("TRUE");
      if (diskId) qb.andWhere('e."diskId" = :diskId', { diskId });
      if (jobId) qb.andWhere('e."jobId" = :jobId', { jobId });
      if (args.types?.length) qb.andWhere("e.type IN (:...types)", { types: args.types });
      return qb;
    },
    "e",
    args,
  );
}
