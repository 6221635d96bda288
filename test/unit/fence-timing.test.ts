import { describe, expect, it } from "vitest";
import { FENCE_TICK_MS, MIN_FENCE_AFTER_MS, MIN_MARGIN_MS, mustFence, planFence } from "../../src/domain/fence-timing.js";

describe("fence timing", () => {
  it.each([
    {
      name: "defaults (30 s stalled check, 8 s stop budget)",
      stalled: 30_000,
      stop: 8_000,
      lock: 30_000,
      margin: 3_000,
      fence: 18_750,
    },
    {
      name: "long stalled interval: margin grows with it",
      stalled: 60_000,
      stop: 8_000,
      lock: 60_000,
      margin: 6_000,
      fence: 45_750,
    },
    {
      name: "short stalled interval: lock raised until a fence fits",
      stalled: 2_000,
      stop: 8_000,
      lock: 14_723,
      margin: 1_473,
      fence: 5_000,
    },
    { name: "just above the raised minimum", stalled: 15_000, stop: 8_000, lock: 15_000, margin: 1_500, fence: 5_250 },
    { name: "no stop budget: the minimum margin applies", stalled: 1, stop: 0, lock: 6_250, margin: MIN_MARGIN_MS, fence: 5_000 },
  ])("$name", ({ stalled, stop, lock, margin, fence }) => {
    const plan = planFence({ stalledIntervalMs: stalled, stopBudgetMs: stop });
    // Here the lock is never shorter than the stalled interval, so the takeover time is the lock's.
    const takeoverAfterMs = lock;
    const renewEveryMs = Math.floor(fence / 4);
    expect(plan).toEqual({
      lockDurationMs: lock,
      takeoverAfterMs,
      marginMs: margin,
      fenceAfterMs: fence,
      renewEveryMs,
      tickMs: FENCE_TICK_MS,
    });
  });

  // The ordering the fence exists for, over a sweep of settings: a fenced run is gone strictly
  // before any other host may take its job, the lock is never shorter than the stalled check,
  // and one slow renewal does not fence.
  const sweep = [1, 500, 2_000, 5_000, 10_000, 14_722, 14_723, 14_724, 30_000, 120_000, 3_600_000];
  it.each(sweep)("ordering holds for a %i ms stalled interval", (stalled) => {
    for (const stop of [0, 1_000, 8_000, 60_000]) {
      const p = planFence({ stalledIntervalMs: stalled, stopBudgetMs: stop });
      expect(p.fenceAfterMs + p.tickMs + stop + p.marginMs).toBe(p.takeoverAfterMs);
      expect(p.marginMs).toBeGreaterThanOrEqual(MIN_MARGIN_MS);
      expect(p.fenceAfterMs + p.tickMs + stop).toBeLessThan(p.takeoverAfterMs);
      expect(p.takeoverAfterMs).toBe(Math.max(p.lockDurationMs, stalled));
      expect(p.lockDurationMs).toBeGreaterThanOrEqual(stalled);
      expect(p.fenceAfterMs).toBeGreaterThanOrEqual(MIN_FENCE_AFTER_MS);
      expect(p.renewEveryMs * 3).toBeLessThan(p.fenceAfterMs);
    }
  });

  it.each([
    { since: 0, expected: false },
    { since: 18_749, expected: false },
    { since: 18_750, expected: true },
    { since: 29_999, expected: true },
  ])("after $since ms without a renewal, fence = $expected", ({ since, expected }) => {
    expect(mustFence(planFence({ stalledIntervalMs: 30_000, stopBudgetMs: 8_000 }), since)).toBe(expected);
  });

  it("refuses nonsense inputs", () => {
    expect(() => planFence({ stalledIntervalMs: 0, stopBudgetMs: 1 })).toThrow(RangeError);
    expect(() => planFence({ stalledIntervalMs: 1, stopBudgetMs: -1 })).toThrow(RangeError);
  });
});
