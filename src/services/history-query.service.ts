import type { DataSource, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { AuditEvent, SparsifyJob } from "../entities/index.js";
import { JobState } from "../entities/enums.js";
import { badInput } from "../errors.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { parseId } from "./ids.js";

export const MAX_HISTORY_PAGE = 500;

interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** A getter: counted only when a client selects it. */
  readonly totalCount: Promise<number>;
}

/** Newest first, keyset on (createdAt, id): stable while new rows arrive at the top. */
async function newestFirst<T extends ObjectLiteral & { id: string; createdAt: Date }>(
  build: () => SelectQueryBuilder<T>,
  alias: string,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<Page<T>> {
  const size = first ?? 50;
  if (!Number.isInteger(size) || size < 0 || size > MAX_HISTORY_PAGE) throw badInput(`first must be between 0 and ${MAX_HISTORY_PAGE}`, "first");
  const qb = build();
  if (after) {
    const c = decodeCursor(after);
    if (typeof c.value !== "string" || Number.isNaN(Date.parse(c.value))) throw badInput("after is not a cursor of this list", "after");
    qb.andWhere(`(${alias}."createdAt", ${alias}.id) < (:cv::timestamptz, :cid)`, { cv: c.value, cid: parseId(c.id, "after") });
  }
  const rows = await qb.orderBy(`${alias}."createdAt"`, "DESC").addOrderBy(`${alias}.id`, "DESC").limit(size + 1).getMany();
  const edges = rows.slice(0, size).map((node) => ({ cursor: encodeCursor({ value: new Date(node.createdAt).toISOString(), id: node.id }), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    get totalCount() {
      return build().getCount();
    },
  };
}

export function listJobs(db: DataSource, args: { first?: number | null; after?: string | null; diskId?: string | null; states?: JobState[] | null }) {
  const diskId = args.diskId ? parseId(args.diskId, "filter.diskId") : null;
  return newestFirst(
    () => {
      const qb = db.getRepository(SparsifyJob).createQueryBuilder("j").where("TRUE");
      if (diskId) qb.andWhere('j."diskId" = :diskId', { diskId });
      if (args.states?.length) qb.andWhere("j.state IN (:...states)", { states: args.states });
      return qb;
    },
    "j",
    args.first,
    args.after,
  );
}

export function listEvents(db: DataSource, args: { first?: number | null; after?: string | null; diskId?: string | null; jobId?: string | null; types?: string[] | null }) {
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
    args.first,
    args.after,
  );
}
