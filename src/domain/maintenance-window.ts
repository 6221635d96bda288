const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function parseHhmm(value: string): number | null {
  const m = HHMM.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** Minutes since local midnight in `timeZone`. */
export function minutesOfDay(now: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(now);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get("hour") * 60 + get("minute");
}

/**
 * Inside [start, end) in the schedule's time zone; a window may wrap past midnight
 * (22:00–04:00). No window means always.
 */
export function insideWindow(now: Date, timeZone: string, start: string | null, end: string | null): boolean {
  if (!start || !end) return true;
  const [s, e] = [parseHhmm(start), parseHhmm(end)];
  if (s === null || e === null) return false;
  const m = minutesOfDay(now, timeZone);
  return s <= e ? m >= s && m < e : m >= s || m < e;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone });
    return true;
  } catch {
    return false;
  }
}
