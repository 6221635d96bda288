import { classifyAllocation } from "../domain/preallocation.js";
import type { VolumeReading } from "../host/scan/read-volumes.js";
import type { CopyValue } from "./copy-rows.js";
import { diskFormatOf } from "./scan-plan.js";

/**
 * One host reading as a row of the scan's staging table (`scan_reading`): the raw facts the SQL
 * grouping needs, plus the two a pure rule of ours works out per image (its allocation, read for a
 * disk from its leaf), so no rule is written twice, once in TypeScript and once in SQL.
 */
export const READING_COLUMNS = [
  "rel_path",
  "format",
  "virtual_size",
  "actual_size",
  "backing_path",
  "backing_rel_path",
  "problem",
  "refusal_code",
  "refusal_message",
  "unreadable",
  "file_device",
  "file_inode",
  "allocation",
  "allocation_source",
] as const;

/** The staging table, typed like its targets so COPY parses every value once (an unknown enum fails the scan). */
export const READING_TABLE_SQL = `
  CREATE TEMP TABLE scan_reading (
    rel_path text NOT NULL, format volume_format_enum NOT NULL, virtual_size bigint NOT NULL, actual_size bigint NOT NULL,
    backing_path text, backing_rel_path text, problem text, refusal_code text, refusal_message text, unreadable boolean NOT NULL,
    file_device text, file_inode text, allocation disk_allocation_enum NOT NULL, allocation_source disk_allocationsource_enum NOT NULL
  ) ON COMMIT DROP`;

/** The values of one reading, in the order of READING_COLUMNS. */
export function readingRow(r: VolumeReading): CopyValue[] {
  const format = diskFormatOf(r.format);
  const verdict = classifyAllocation({ ...r, format });
  return [
    r.relPath,
    format,
    r.virtualSize,
    r.actualSize,
    r.backingPath,
    r.backingRelPath,
    r.problem,
    r.refusal?.code ?? null,
    r.refusal?.message ?? null,
    r.unreadable,
    r.fileDevice ?? null,
    r.fileInode ?? null,
    verdict.allocation,
    verdict.source,
  ];
}
