/** Pure helpers for the charts: axis ticks in binary units, bucket labels, gaps filled. */
/** The API's TimeBucket (kept here so this file imports nothing and tests load it as is). */
type TimeBucket = "ALL" | "DAY" | "WEEK" | "MONTH";

const KiB = 1024;
const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500];

/**
 * Ticks for a byte axis from 0: round steps of a binary unit (0, 256 MiB, 512 MiB…), so every
 * label formats exactly. Returns at least [0, something] even for an empty chart.
 */
export function byteTicks(max: number, count = 4): number[] {
  const top = Math.max(max, 1);
  let unit = 1;
  while (unit * KiB <= top / count && unit < KiB ** 5) unit *= KiB;
  const raw = top / count / unit;
  // Past 500 of a unit, one of the next unit (1 GiB, not 1000 MiB).
  const step = raw > 500 ? unit * KiB : STEPS.find((s) => s >= raw)! * unit;
  const ticks: number[] = [];
  for (let t = 0; t < top + step; t += step) {
    ticks.push(t);
    if (t >= top) break;
  }
  return ticks;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A bucket's start (UTC, as the gateway groups) in words: "29 Nov", "week of 23 Nov", "Nov 2026". */
export function bucketLabel(iso: string, bucket: TimeBucket): string {
  const d = new Date(iso);
  const day = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
  if (bucket === "MONTH") return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  if (bucket === "WEEK") return `week of ${day}`;
  return day;
}

/** The next bucket's start (UTC): a day, an ISO week (Monday starts), a calendar month. */
function nextStart(d: Date, bucket: TimeBucket): Date {
  const next = new Date(d);
  if (bucket === "MONTH") next.setUTCMonth(next.getUTCMonth() + 1);
  else next.setUTCDate(next.getUTCDate() + (bucket === "WEEK" ? 7 : 1));
  return next;
}

/** The start of the bucket holding `d` (UTC). */
export function bucketStart(d: Date, bucket: TimeBucket): Date {
  const s = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), bucket === "MONTH" ? 1 : d.getUTCDate()));
  if (bucket === "WEEK") s.setUTCDate(s.getUTCDate() - ((s.getUTCDay() + 6) % 7));
  return s;
}

/**
 * The gateway returns only buckets that had jobs; a time chart needs the empty ones too, from
 * `from`'s bucket to `to`'s, as zeros.
 */
export function fillBuckets<T extends { bucketStart?: string | null; reclaimedBytes: number; jobs: number }>(
  rows: readonly T[],
  bucket: TimeBucket,
  from: Date,
  to: Date,
): { bucketStart: string; reclaimedBytes: number; jobs: number }[] {
  const byStart = new Map(rows.filter((r) => r.bucketStart).map((r) => [new Date(r.bucketStart!).toISOString(), r]));
  const out: { bucketStart: string; reclaimedBytes: number; jobs: number }[] = [];
  const end = bucketStart(to, bucket).getTime();
  for (let d = bucketStart(from, bucket); d.getTime() <= end && out.length < 400; d = nextStart(d, bucket)) {
    const key = d.toISOString();
    const row = byStart.get(key);
    out.push({ bucketStart: key, reclaimedBytes: row?.reclaimedBytes ?? 0, jobs: row?.jobs ?? 0 });
  }
  return out;
}
