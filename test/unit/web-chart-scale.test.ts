import { describe, expect, it } from "vitest";
import { bucketLabel, bucketStart, byteTicks, fillBuckets } from "../../web/src/charts/scale.js";

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe("chart scales", () => {
  it.each([
    [0, [0, 1]],
    [700, [0, 200, 400, 600, 800]],
    [350 * MiB, [0, 100 * MiB, 200 * MiB, 300 * MiB, 400 * MiB]],
    [3 * GiB, [0, 1 * GiB, 2 * GiB, 3 * GiB]],
    [30 * GiB + 7, [0, 10 * GiB, 20 * GiB, 30 * GiB, 40 * GiB]],
  ])("byteTicks(%d) rounds to a binary unit and covers the maximum", (max, ticks) => {
    expect(byteTicks(max)).toEqual(ticks);
  });

  it("labels buckets in words (UTC)", () => {
    expect(bucketLabel("2026-11-29T00:00:00.000Z", "DAY")).toBe("29 Nov");
    expect(bucketLabel("2026-11-23T00:00:00.000Z", "WEEK")).toBe("week of 23 Nov");
    expect(bucketLabel("2026-11-01T00:00:00.000Z", "MONTH")).toBe("Nov 2026");
  });

  it("starts weeks on Monday and months on the 1st, like the gateway", () => {
    expect(bucketStart(new Date("2026-11-29T19:00:00Z"), "WEEK").toISOString()).toBe("2026-11-23T00:00:00.000Z");
    expect(bucketStart(new Date("2026-11-29T19:00:00Z"), "MONTH").toISOString()).toBe("2026-11-01T00:00:00.000Z");
    expect(bucketStart(new Date("2026-11-29T19:00:00Z"), "DAY").toISOString()).toBe("2026-11-29T00:00:00.000Z");
  });

  it("fills the buckets without jobs with zeros", () => {
    const rows = [{ bucketStart: "2026-11-02T00:00:00.000Z", reclaimedBytes: 5, jobs: 1 }];
    expect(fillBuckets(rows, "DAY", new Date("2026-11-01T10:00:00Z"), new Date("2026-11-03T23:00:00Z"))).toEqual([
      { bucketStart: "2026-11-01T00:00:00.000Z", reclaimedBytes: 0, jobs: 0 },
      { bucketStart: "2026-11-02T00:00:00.000Z", reclaimedBytes: 5, jobs: 1 },
      { bucketStart: "2026-11-03T00:00:00.000Z", reclaimedBytes: 0, jobs: 0 },
    ]);
    expect(
      fillBuckets([], "MONTH", new Date("2026-10-15T00:00:00Z"), new Date("2026-12-01T00:00:00Z")).map((r) => r.bucketStart),
    ).toEqual(["2026-10-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"]);
  });
});
