import { describe, expect, it } from "vitest";
import { discardCommands } from "../../src/host/direct/discard-commands.js";
import { complement } from "../../src/host/direct/in-use-hash.js";

const r = (start: number, end: number) => ({ start, end });
const GiB = 1024 ** 3;

describe("discardCommands: only whole ranges inside the proven free set", () => {
  it.each([
    {
      name: "each proven range as is",
      ranges: [r(4096, 8192), r(0, 1024)],
      proven: [r(0, 1024), r(4096, 8192)],
      out: ["discard -q 0 1024", "discard -q 4096 4096"],
    },
    { name: "a part of a proven range", ranges: [r(4096, 6144)], proven: [r(0, 8192)], out: ["discard -q 4096 2048"] },
    {
      name: "adjacent proven ranges cover one request",
      ranges: [r(0, 2048)],
      proven: [r(0, 1024), r(1024, 2048)],
      out: ["discard -q 0 2048"],
    },
    { name: "nothing to do", ranges: [], proven: [r(0, 10)], out: [] },
    {
      name: "a range longer than qemu-io takes, in 1 GiB pieces",
      ranges: [r(4096, 4096 + 2.5 * GiB)],
      proven: [r(0, 3 * GiB)],
      out: [`discard -q 4096 ${GiB}`, `discard -q ${4096 + GiB} ${GiB}`, `discard -q ${4096 + 2 * GiB} ${0.5 * GiB}`],
    },
  ])("$name", ({ ranges, proven, out }) => {
    expect(discardCommands(ranges, proven)).toEqual(out);
  });

  it.each([
    { name: "reaches past a proven range", ranges: [r(0, 2049)], proven: [r(0, 2048)] },
    { name: "spans a used gap", ranges: [r(0, 4096)], proven: [r(0, 1024), r(2048, 4096)] },
    { name: "outside every proven range", ranges: [r(8192, 9216)], proven: [r(0, 4096)] },
    { name: "overlapping requests", ranges: [r(0, 2048), r(1024, 3072)], proven: [r(0, 4096)] },
    { name: "empty range", ranges: [r(10, 10)], proven: [r(0, 4096)] },
    { name: "negative offset", ranges: [r(-512, 0)], proven: [r(-1024, 4096)] },
    { name: "not a safe integer", ranges: [r(0, 2 ** 60)], proven: [r(0, 2 ** 61)] },
  ])("refuses everything when a range $name", ({ ranges, proven }) => {
    expect(() => discardCommands(ranges, proven)).toThrow(RangeError);
  });
});

describe("complement: the bytes a DIRECT run must keep", () => {
  it.each([
    { ranges: [], size: 10, out: [r(0, 10)] },
    { ranges: [r(0, 10)], size: 10, out: [] },
    { ranges: [r(2, 4), r(6, 8)], size: 10, out: [r(0, 2), r(4, 6), r(8, 10)] },
    { ranges: [r(6, 8), r(2, 5), r(4, 6)], size: 10, out: [r(0, 2), r(8, 10)] },
    { ranges: [r(8, 20)], size: 10, out: [r(0, 8)] },
  ])("%#", ({ ranges, size, out }) => {
    expect(complement(ranges, size)).toEqual(out);
  });
});
