/** Plain-text rendering for a terminal: sizes, tables, progress bars. Pure functions. */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 209715200 → "200.0 MiB": binary units like qemu-img; null → "-". */
export function humanBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "-";
  const exponent = bytes === 0 ? 0 : Math.min(UNITS.length - 1, Math.floor(Math.log2(Math.abs(bytes)) / 10));
  return exponent === 0 ? `${bytes} B` : `${(bytes / 1024 ** exponent).toFixed(1)} ${UNITS[exponent]}`;
}

/** Column-aligned text; columns named in `right` are right-aligned (numbers). */
export function renderTable(headers: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** A job as the progress board needs it. */
export interface JobView {
  label: string;
  state: string;
  phase: string;
  progress: number;
  reclaimedBytes?: number | null;
  outcomeMessage?: string | null;
  error?: { code: string; message: string } | null;
}

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);
export const isTerminal = (state: string) => TERMINAL.has(state);

/** "web  [########------------]  40%  TRIMMING" or the job's ending in words. */
export function progressLine(job: JobView, labelWidth: number, barWidth = 24): string {
  const pct = Math.max(0, Math.min(100, Math.round(job.progress)));
  const filled = Math.round((pct / 100) * barWidth);
  const bar = `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}]`;
  const label = job.label.padEnd(labelWidth);
  if (job.state === "SUCCEEDED")
    return `${label}  ${bar} 100%  SUCCEEDED: ${job.outcomeMessage ?? `reclaimed ${humanBytes(job.reclaimedBytes)}`}`;
  if (job.state === "FAILED")
    return `${label}  ${bar} ${String(pct).padStart(3)}%  FAILED ${job.error?.code ?? ""}: ${job.error?.message ?? ""}`.trimEnd();
  if (job.state === "CANCELLED") return `${label}  ${bar} ${String(pct).padStart(3)}%  CANCELLED`;
  return `${label}  ${bar} ${String(pct).padStart(3)}%  ${job.state === "QUEUED" ? "QUEUED" : job.phase}`;
}
