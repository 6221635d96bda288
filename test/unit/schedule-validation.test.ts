import { describe, expect, it } from "vitest";
import { validateSchedule } from "../../src/services/schedule.service.js";

describe("validateSchedule", () => {
  it("fills defaults", () => {
    expect(validateSchedule({ cron: "0 2 * * 6" })).toEqual({
      cron: "0 2 * * 6",
      timezone: "UTC",
      windowStart: null,
      windowEnd: null,
      maxConcurrent: 1,
      enabled: true,
    });
  });

  it.each([
    { cron: "*/5 * * * * *", timezone: "Europe/Paris", windowStart: "22:00", windowEnd: "04:00", maxConcurrent: 3 },
    { cron: "0 3 * * 1-5" },
  ])("accepts %o", (input) => {
    expect(() => validateSchedule(input)).not.toThrow();
  });

  it.each([
    { name: "too few fields", input: { cron: "* * *" }, field: "cron" },
    { name: "garbage", input: { cron: "every day at 3" }, field: "cron" },
    { name: "out of range minute", input: { cron: "61 * * * *" }, field: "cron" },
    { name: "unknown zone", input: { cron: "0 2 * * *", timezone: "Nowhere/City" }, field: "timezone" },
    { name: "half a window", input: { cron: "0 2 * * *", windowStart: "01:00" }, field: "windowStart" },
    { name: "bad window time", input: { cron: "0 2 * * *", windowStart: "25:00", windowEnd: "02:00" }, field: "windowStart" },
    { name: "zero concurrency", input: { cron: "0 2 * * *", maxConcurrent: 0 }, field: "maxConcurrent" },
    { name: "absurd concurrency", input: { cron: "0 2 * * *", maxConcurrent: 1000 }, field: "maxConcurrent" },
  ])("refuses $name with BAD_USER_INPUT on $field", ({ input, field }) => {
    try {
      validateSchedule(input);
      expect.unreachable();
    } catch (error) {
      expect((error as { extensions: Record<string, unknown> }).extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
  });
});
