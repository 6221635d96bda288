import type { ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { badInput } from "../errors.js";
import { decodeCursor, encodeCursor, type Cursor } from "./cursor.js";
import { parseId } from "./ids.js";

/** Relay connection arguments: `first`/`after` page forwards, `last`/`before` backwards. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface PageInfoValue {
  hasNextPage: boolean | Promise<boolean>;
  hasPreviousPage: boolean | Promise<boolean>;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfoValue;
  /** A getter: counted only when a client selects it. */
  readonly totalCount: Promise<number>;
}

/** How one list is ordered and how its cursors are read. */
export interface KeysetList<T extends ObjectLiteral> {
  /** A fresh filtered query each call (the page, the count and the look-arounds each need one). */
  build: () => SelectQueryBuilder<T>;
  alias: string;
  /** SQL of the ordering value; the row id breaks ties. */
  orderSql: string;
  direction: "ASC" | "DESC";
  /** Appended to the cursor value parameter, e.g. "::timestamptz". */
  cast?: string;
  valueOf: (row: T) => string | number;
  /** Whether a decoded cursor value belongs to this ordering (a cursor of another is refused). */
  accepts: (value: string | number) => boolean;
  defaultSize: number;
  maxSize: number;
}

type Side = "after" | "before";

/**
 * One keyset page over (order value, id) in either direction: one statement for the page, plus,
 * only when a client selects them, a COUNT and a one-row look past the cursor it came from.
 */
export async function keysetPage<T extends ObjectLiteral & { id: string }>(
  list: KeysetList<T>,
  args: PageArgs,
): Promise<Page<T>> {
  const backward = args.last !== undefined && args.last !== null;
  if (backward && args.first !== undefined && args.first !== null) throw badInput("give first or last, not both", "last");
  const size = backward ? args.last! : (args.first ?? list.defaultSize);
  const sizeField = backward ? "last" : "first";
  if (!Number.isInteger(size) || size < 0 || size > list.maxSize)
    throw badInput(`${sizeField} must be between 0 and ${list.maxSize}`, sizeField);
  const after = args.after ? readCursor(list, args.after, "after") : null;
  const before = args.before ? readCursor(list, args.before, "before") : null;

  const qb = list.build();
  if (after) qb.andWhere(...beyond(list, after, "after", false));
  if (before) qb.andWhere(...beyond(list, before, "before", false));
  const dir = backward ? flip(list.direction) : list.direction;
  const rows = await qb
    .orderBy(list.orderSql, dir)
    .addOrderBy(`${list.alias}.id`, dir)
    .limit(size + 1)
    .getMany();
  const nodes = rows.slice(0, size);
  if (backward) nodes.reverse();
  const edges = nodes.map((node) => ({ cursor: encodeCursor({ value: list.valueOf(node), id: node.id }), node }));
  const more = rows.length > size;
  // Past the cursor the client came from: is there anything the other way? Asked only if selected.
  const past = (cursor: Cursor | null, side: Side) => (cursor ? lazyExists(list, cursor, side) : false);
  let next: boolean | Promise<boolean> | undefined;
  let previous: boolean | Promise<boolean> | undefined;
  return {
    edges,
    pageInfo: {
      get hasNextPage() {
        return (next ??= backward ? past(before, "before") : more);
      },
      get hasPreviousPage() {
        return (previous ??= backward ? more : past(after, "after"));
      },
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    get totalCount() {
      return list.build().getCount();
    },
  };
}

const flip = (d: "ASC" | "DESC") => (d === "ASC" ? "DESC" : "ASC");

function readCursor<T extends ObjectLiteral>(list: KeysetList<T>, raw: string, field: Side): Cursor {
  const cursor = decodeCursor(raw, field);
  if (!list.accepts(cursor.value)) throw badInput(`${field} belongs to another ordering`, field);
  return { value: cursor.value, id: parseId(cursor.id, field) };
}

/**
 * Rows strictly on the far side of a cursor: after it (in list order) for `after`, before it for
 * `before`. `inclusive` turns it around to "the cursor's own side, the cursor row included".
 */
function beyond<T extends ObjectLiteral>(
  list: KeysetList<T>,
  c: Cursor,
  side: Side,
  inclusive: boolean,
): [string, Record<string, unknown>] {
  const forward = (side === "after") !== (list.direction === "DESC");
  const op = inclusive ? (forward ? "<=" : ">=") : forward ? ">" : "<";
  const v = `${side}Value`;
  const id = `${side}Id`;
  return [`(${list.orderSql}, ${list.alias}.id) ${op} (:${v}${list.cast ?? ""}, :${id})`, { [v]: c.value, [id]: c.id }];
}

async function lazyExists<T extends ObjectLiteral>(list: KeysetList<T>, c: Cursor, side: Side): Promise<boolean> {
  const row = await list
    .build()
    .andWhere(...beyond(list, c, side, true))
    .select(`${list.alias}.id`)
    .limit(1)
    .getRawOne();
  return row !== undefined;
}
