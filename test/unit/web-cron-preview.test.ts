import { describe, expect, it } from "vitest";
import { previewCron, relativeWords, timezoneProblem } from "../../web/src/admin/cron-preview.js";

const now = new Date("2026-11-29T19:00:00Z"); // a Sunday

describe("previewCron (the schedule form's next runs in words)", () => {
  it.each([
    [
      "0 2 * * 6",
      "Europe/Paris",
      ["Saturday, 5 December 2026 at 02:00 (Europe/Paris)", "Saturday, 12 December 2026 at 02:00 (Europe/Paris)"],
      ["in 5 days", "in 12 days"],
    ],
    [
      "30 22 * * *",
      "UTC",
      ["Sunday, 29 November 2026 at 22:30 (UTC)", "Monday, 30 November 2026 at 22:30 (UTC)"],
      ["in 3 hours", "in 27 hours"],
    ],
    [
      "0 0 1 * *",
      "America/New_York",
      ["Tuesday, 1 December 2026 at 00:00 (America/New_York)", "Friday, 1 January 2027 at 00:00 (America/New_York)"],
      ["in 34 hours", "in 32 days"],
    ],
    [
      "0 */20 19 * * *",
      "UTC",
      ["Sunday, 29 November 2026 at 19:20 (UTC)", "Sunday, 29 November 2026 at 19:40 (UTC)"],
      ["in 20 minutes", "in 40 minutes"],
    ],
  ])("%s in %s", (cron, timezone, words, relative) => {
    const preview = previewCron(cron, { timezone, now, count: 2, locale: "en-GB" });
    expect(preview.ok).toBe(true);
    if (!preview.ok) return;
    expect(preview.runs.map((r) => r.words)).toEqual(words);
    expect(preview.runs.map((r) => r.relative)).toEqual(relative);
  });

  it.each([
    ["", /Enter a cron expression/],
    ["* * *", /has 5 fields .*this one has 3/],
    ["61 * * * *", /Not a valid cron expression: .*0-59/],
  ])("refuses %j in words", (cron, message) => {
    const preview = previewCron(cron, { timezone: "UTC", now });
    expect(preview).toEqual({ ok: false, error: expect.stringMatching(message) });
  });

  it("refuses an unknown time zone", () => {
    expect(timezoneProblem("Mars/Base")).toMatch(/not a time zone/);
    expect(timezoneProblem("Europe/Paris")).toBeNull();
    expect(previewCron("0 2 * * *", { timezone: "Mars/Base", now })).toEqual({
      ok: false,
      error: expect.stringMatching(/Mars\/Base is not a time zone/),
    });
  });

  it("says how far away a run is in the largest whole unit", () => {
    const at = (ms: number) => new Date(now.getTime() + ms);
    expect(relativeWords(at(30_000), now)).toBe("in less than a minute");
    expect(relativeWords(at(60_000), now)).toBe("in 1 minute");
    expect(relativeWords(at(3_600_000), now)).toBe("in 1 hour");
    expect(relativeWords(at(49 * 3_600_000), now)).toBe("in 2 days");
  });
});
