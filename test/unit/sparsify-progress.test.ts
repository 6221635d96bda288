import { describe, expect, it } from "vitest";
import {
  finish,
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
    ["swap counts as a device", s(P.LAUNCHING, 70), { kind: "swap-cleared", device: "/dev/sda2", source: "json" }, s(P.TRIMMING, 75)],
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
