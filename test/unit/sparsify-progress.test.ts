import { describe, expect, it } from "vitest";
import {
  finish,
  RAMP_TICK_MS,
  rampLaunch,
  initialProgress,
  reduceProgress,
  SparsifyPhase as P,
  startMeasuring,
  type SparsifyProgress,
} from "../../src/host/sparsify-progress.js";
import { parseSparsifyLine, type SparsifyOutputEvent } from "../../src/host/virt-sparsify-output.js";
import { readSparsifyFixture } from "../support/sparsify-fixtures.js";

const s = (phase: P, progress: number): SparsifyProgress => ({ phase, progress });
const launch = (step: number): SparsifyOutputEvent => ({ kind: "launch", step, total: 12 });
const trim = (device: string): SparsifyOutputEvent => ({ kind: "trimming", device, source: "json" });

describe("reduceProgress", () => {
  it.each<[string, SparsifyProgress, SparsifyOutputEvent, SparsifyProgress]>([
    ["launch 9/12", initialProgress, launch(9), s(P.LAUNCHING, 53)],
    ["launch 12/12", s(P.LAUNCHING, 53), launch(12), s(P.LAUNCHING, 70)],
    ["a late, smaller launch step never goes back", s(P.LAUNCHING, 70), launch(3), s(P.LAUNCHING, 70)],
    ["launch after trimming keeps the phase", s(P.TRIMMING, 75), launch(12), s(P.TRIMMING, 75)],
    ["first trimmed device", s(P.LAUNCHING, 70), trim("/dev/sda1"), s(P.TRIMMING, 75)],
    [
      "swap counts as a device",
      s(P.LAUNCHING, 70),
      { kind: "swap-cleared", device: "/dev/sda2", source: "json" },
      s(P.TRIMMING, 75),
    ],
    ["second device creeps", s(P.TRIMMING, 75), trim("/dev/sda2"), s(P.TRIMMING, 80)],
    ["creep stays below 90", s(P.TRIMMING, 89), trim("/dev/sdb"), s(P.TRIMMING, 89)],
    ["completed", s(P.TRIMMING, 80), { kind: "completed", source: "json" }, s(P.TRIMMING, 90)],
    ["completed without any trim (no filesystem)", s(P.LAUNCHING, 70), { kind: "completed", source: "json" }, s(P.TRIMMING, 90)],
    ["total 0 is ignored", s(P.CHECKING, 2), { kind: "launch", step: 0, total: 0 }, s(P.CHECKING, 2)],
    ["errors do not move progress", s(P.LAUNCHING, 53), { kind: "error", message: "x", source: "json" }, s(P.LAUNCHING, 53)],
    ["after MEASURING nothing from the tool moves it", s(P.MEASURING, 95), trim("/dev/sda"), s(P.MEASURING, 95)],
  ])("%s", (_name, state, event, expected) => {
    expect(reduceProgress(state, event)).toEqual(expected);
  });

  it("returns the same object when nothing changes", () => {
    const state = s(P.LAUNCHING, 70);
    expect(reduceProgress(state, { kind: "other", text: "" })).toBe(state);
  });

  it("startMeasuring and finish", () => {
    expect(startMeasuring(s(P.TRIMMING, 90))).toEqual(s(P.MEASURING, 95));
    expect(finish(s(P.MEASURING, 95))).toEqual(s(P.DONE, 100));
    expect(finish(initialProgress)).toEqual(s(P.DONE, 100));
    expect(startMeasuring(s(P.DONE, 100))).toEqual(s(P.DONE, 100));
  });

  it.each(["success-plain.txt", "success-part-swap.txt", "no-filesystem.txt", "sigterm-during-launch.txt"])(
    "replaying %s is monotonic and ends at 90 only if completed",
    (fixture) => {
      let state = initialProgress;
      const history = [state];
      for (const { line, stream } of readSparsifyFixture(fixture)) {
        state = reduceProgress(state, parseSparsifyLine(line, stream));
        history.push(state);
      }
      const phases = Object.values(P);
      for (let i = 1; i < history.length; i++) {
        expect(history[i]!.progress).toBeGreaterThanOrEqual(history[i - 1]!.progress);
        expect(phases.indexOf(history[i]!.phase)).toBeGreaterThanOrEqual(phases.indexOf(history[i - 1]!.phase));
      }
      expect(state.progress).toBe(fixture.startsWith("sigterm") ? 2 : 90);
    },
  );
});

describe("rampLaunch", () => {
  it.each<[string, SparsifyProgress, number, SparsifyProgress]>([
    ["at the start: launching, 5 %", initialProgress, 0, s(P.LAUNCHING, 5)],
    ["after 1 s", s(P.LAUNCHING, 5), 1_000, s(P.LAUNCHING, 14)],
    ["after 4 s", s(P.LAUNCHING, 14), 4_000, s(P.LAUNCHING, 33)],
    ["never past 50, however long the boot", s(P.LAUNCHING, 33), 600_000, s(P.LAUNCHING, 50)],
    ["a real launch step ahead of the ramp wins", s(P.LAUNCHING, 53), 2_000, s(P.LAUNCHING, 53)],
    ["does not touch trimming", s(P.TRIMMING, 75), 1_000, s(P.TRIMMING, 75)],
    ["does not touch measuring", s(P.MEASURING, 95), 1_000, s(P.MEASURING, 95)],
  ])("%s", (_name, state, elapsed, expected) => {
    expect(rampLaunch(state, elapsed)).toEqual(expected);
  });

  it("moves every tick during the ~7 s boot, strictly increasing, and stays below 9/12", () => {
    let state = initialProgress;
    const seen: number[] = [];
    for (let t = 0; t <= 7_000; t += RAMP_TICK_MS) {
      state = rampLaunch(state, t);
      seen.push(state.progress);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
    expect(seen.length).toBeGreaterThanOrEqual(9);
    expect(state.progress).toBeLessThan(reduceProgress(initialProgress, launch(9)).progress);
  });

  it("returns the same object when nothing changes", () => {
    const state = s(P.LAUNCHING, 50);
    expect(rampLaunch(state, 100_000)).toBe(state);
  });
});
