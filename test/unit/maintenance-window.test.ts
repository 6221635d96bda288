import { describe, expect, it } from "vitest";
import { insideWindow, isValidTimeZone, minutesOfDay, parseHhmm } from "../../src/domain/maintenance-window.js";

const at = (iso: string) => new Date(iso);

describe("maintenance window", () => {
  it.each([
    { name: "no window: always", now: "2026-11-25T12:00:00Z", tz: "UTC", start: null, end: null, expected: true },
    { name: "inside a day window", now: "2026-11-25T02:30:00Z", tz: "UTC", start: "02:00", end: "05:00", expected: true },
    { name: "start is inclusive", now: "2026-11-25T02:00:00Z", tz: "UTC", start: "02:00", end: "05:00", expected: true },
    { name: "end is exclusive", now: "2026-11-25T05:00:00Z", tz: "UTC", start: "02:00", end: "05:00", expected: false },
    { name: "before a day window", now: "2026-11-25T01:59:00Z", tz: "UTC", start: "02:00", end: "05:00", expected: false },
    {
      name: "wrapping window, late evening",
      now: "2026-11-25T23:00:00Z",
      tz: "UTC",
      start: "22:00",
      end: "04:00",
      expected: true,
    },
    {
      name: "wrapping window, early morning",
      now: "2026-11-25T03:59:00Z",
      tz: "UTC",
      start: "22:00",
      end: "04:00",
      expected: true,
    },
    { name: "wrapping window, midday", now: "2026-11-25T12:00:00Z", tz: "UTC", start: "22:00", end: "04:00", expected: false },
    {
      name: "time zone: 01:30 UTC is 02:30 in Paris (winter)",
      now: "2026-11-25T01:30:00Z",
      tz: "Europe/Paris",
      start: "02:00",
      end: "05:00",
      expected: true,
    },
    {
      name: "time zone: 04:30 UTC is 05:30 in Paris",
      now: "2026-11-25T04:30:00Z",
      tz: "Europe/Paris",
      start: "02:00",
      end: "05:00",
      expected: false,
    },
    {
      name: "malformed window never matches",
      now: "2026-11-25T03:00:00Z",
      tz: "UTC",
      start: "2am",
      end: "05:00",
      expected: false,
    },
  ])("$name", ({ now, tz, start, end, expected }) => {
    expect(insideWindow(at(now), tz, start, end)).toBe(expected);
  });

  it.each([
    ["00:00", 0],
    ["23:59", 1439],
    ["24:00", null],
    ["7:00", null],
    ["12:60", null],
  ])("parseHhmm(%s) = %s", (v, expected) => expect(parseHhmm(v)).toBe(expected));

  it("minutesOfDay follows the zone", () => {
    expect(minutesOfDay(at("2026-07-01T00:15:00Z"), "America/New_York")).toBe(20 * 60 + 15);
  });

  it.each([
    ["UTC", true],
    ["Europe/Paris", true],
    ["Mars/Olympus", false],
    ["'; DROP TABLE", false],
  ])("isValidTimeZone(%s) = %s", (tz, expected) => expect(isValidTimeZone(tz as string)).toBe(expected));
});
