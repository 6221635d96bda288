import { CronExpressionParser } from "cron-parser";

export type CronPreview = { ok: true; runs: { at: Date; words: string; relative: string }[] } | { ok: false; error: string };

/** Unknown zones make Intl throw a RangeError: the one check cron-parser does not do on parse. */
export function timezoneProblem(timezone: string): string | null {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: timezone });
    return null;
  } catch {
    return `${timezone} is not a time zone this browser knows (use an IANA name such as Europe/Paris or UTC)`;
  }
}

/** "in 6 days", "in 3 hours", "in 12 minutes": the largest whole unit, rounded down. */
export function relativeWords(at: Date, now: Date): string {
  const minutes = Math.floor((at.getTime() - now.getTime()) / 60_000);
  const unit = (n: number, word: string) => `in ${n} ${word}${n === 1 ? "" : "s"}`;
  if (minutes < 1) return "in less than a minute";
  if (minutes < 60) return unit(minutes, "minute");
  if (minutes < 48 * 60) return unit(Math.floor(minutes / 60), "hour");
  return unit(Math.floor(minutes / 1440), "day");
}

/**
 * The next runs of a cron expression in the schedule's time zone, in words ("Saturday
 * 5 December 2026 at 02:00 (Europe/Paris), in 6 days"), computed with the same cron-parser the
 * gateway uses, so what the form previews is what the scheduler will do.
 */
export function previewCron(cron: string, opts: { timezone: string; now: Date; count?: number; locale?: string }): CronPreview {
  const expression = cron.trim();
  if (!expression)
    return { ok: false, error: "Enter a cron expression: 5 fields (minute hour day month weekday), or 6 with seconds first." };
  const fields = expression.split(/\s+/).length;
  if (fields < 5 || fields > 6)
    return {
      ok: false,
      error: `A cron expression has 5 fields (minute hour day month weekday), or 6 with seconds first; this one has ${fields}.`,
    };
  const zone = timezoneProblem(opts.timezone);
  if (zone) return { ok: false, error: zone };
  const format = new Intl.DateTimeFormat(opts.locale ?? "en-GB", {
    timeZone: opts.timezone,
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  try {
    const parsed = CronExpressionParser.parse(expression, { currentDate: opts.now, tz: opts.timezone });
    const runs = parsed.take(opts.count ?? 3).map((d) => {
      const at = d.toDate();
      return { at, words: `${format.format(at)} (${opts.timezone})`, relative: relativeWords(at, opts.now) };
    });
    return { ok: true, runs };
  } catch (error) {
    return { ok: false, error: `Not a valid cron expression: ${(error as Error).message}.` };
  }
}
