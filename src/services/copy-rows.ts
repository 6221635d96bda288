import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PoolClient } from "pg";
import { from as copyFromStdin } from "pg-copy-streams";
import type { EntityManager } from "typeorm";

export type CopyValue = string | number | boolean | null;

/** Rows per chunk written to the COPY stream: big enough to amortise, small enough to stay bounded. */
const ROWS_PER_CHUNK = 1_000;

/**
 * One value in COPY's text format: `\N` is NULL, and backslash, newline, carriage return and tab
 * are escaped (an image's relative path may hold any of them).
 */
export function copyText(value: CopyValue): string {
  if (value === null) return "\\N";
  if (typeof value !== "string") return String(value);
  return value.replace(/[\\\n\r\t]/g, (c) => (c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t"));
}

/** COPY text lines in chunks, so neither the rows nor their text are ever all in memory at once. */
async function* chunks(rows: Iterable<readonly CopyValue[]>): AsyncGenerator<string> {
  let lines: string[] = [];
  for (const row of rows) {
    lines.push(row.map(copyText).join("\t"));
    if (lines.length === ROWS_PER_CHUNK) {
      yield `${lines.join("\n")}\n`;
      lines = [];
    }
  }
  if (lines.length) yield `${lines.join("\n")}\n`;
}

/** The pg connection of a transaction's query runner: COPY needs the driver's client itself. */
export async function transactionClient(em: EntityManager): Promise<PoolClient> {
  if (!em.queryRunner?.isTransactionActive) throw new Error("COPY into a temporary table needs a transaction's EntityManager");
  return (await em.queryRunner.connect()) as PoolClient;
}

/**
 * Streams rows into a table with `COPY … FROM STDIN` on the transaction's connection; rows are
 * produced lazily and sent as they come, with backpressure.
 * @param columns the table's columns in the order of each row's values (quoted as given).
 */
export async function copyRows(
  em: EntityManager,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]>,
): Promise<void> {
  const client = await transactionClient(em);
  const sink = client.query(copyFromStdin(`COPY ${table} (${columns.join(", ")}) FROM STDIN`));
  await pipeline(Readable.from(chunks(rows)), sink);
}

/**
 * Streams text already in COPY's text format (a spool file) into a table on the transaction's
 * connection, with backpressure: nothing of it is held beyond the stream's buffers.
 */
export async function copyFrom(em: EntityManager, table: string, columns: readonly string[], text: Readable): Promise<void> {
  const client = await transactionClient(em);
  await pipeline(text, client.query(copyFromStdin(`COPY ${table} (${columns.join(", ")}) FROM STDIN`)));
}
