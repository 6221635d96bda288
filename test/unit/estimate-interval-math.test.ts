import { describe, expect, it } from "vitest";
import { alignInward, clip, intersect, normalize, totalBytes, type ByteRange } from "../../src/host/estimate/interval-math.js";

const r = (start: number, end: number): ByteRange => ({ start, end });

describe("normalize", () => {
  it.each([
    ["empty", [], []],
    ["sorts", [r(10, 20), r(0, 5)], [r(0, 5), r(10, 20)]],
    ["merges overlapping", [r(0, 10), r(5, 15)], [r(0, 15)]],
    ["merges adjacent", [r(0, 10), r(10, 20)], [r(0, 20)]],
    ["swallows contained", [r(0, 100), r(10, 20), r(30, 40)], [r(0, 100)]],
    ["drops empty and inverted", [r(5, 5), r(9, 3), r(1, 2)], [r(1, 2)]],
  ])("%s", (_name, input, expected) => {
    expect(normalize(input)).toEqual(expected);
  });

  it("does not mutate its input", () => {
    const input = [r(0, 10), r(5, 15)];
    normalize(input);
    expect(input).toEqual([r(0, 10), r(5, 15)]);
  });
});

describe("intersect", () => {
  it.each([
    ["disjoint", [r(0, 10)], [r(10, 20)], []],
    ["nested", [r(0, 100)], [r(10, 20), r(30, 40)], [r(10, 20), r(30, 40)]],
    ["staggered", [r(0, 10), r(20, 30)], [r(5, 25)], [r(5, 10), r(20, 25)]],
    ["identical", [r(3, 7)], [r(3, 7)], [r(3, 7)]],
    ["one side empty", [], [r(0, 1)], []],
    ["many small against one", [r(0, 2), r(4, 6), r(8, 10)], [r(1, 9)], [r(1, 2), r(4, 6), r(8, 9)]],
  ])("%s", (_name, a, b, expected) => {
    expect(intersect(a, b)).toEqual(expected);
    expect(intersect(b, a)).toEqual(expected);
  });
});

describe("alignInward", () => {
  const K64 = 65536;
  it.each([
    ["already aligned", [r(0, K64)], K64, [r(0, K64)]],
    ["partial ends dropped", [r(4096, 3 * K64 + 4096)], K64, [r(K64, 3 * K64)]],
    ["shorter than a granule", [r(4096, K64 + 4096)], K64, []],
    ["per request, not merged: two halves of one cluster free nothing", [r(0, 32768), r(32768, K64)], K64, []],
    ["4 KiB host blocks", [r(1024, 9216)], 4096, [r(4096, 8192)]],
  ])("%s", (_name, ranges, granule, expected) => {
    expect(alignInward(ranges, granule)).toEqual(expected);
  });

  it("rejects a zero granule", () => expect(() => alignInward([r(0, 1)], 0)).toThrow(RangeError));
});

describe("clip and totalBytes", () => {
  it("cuts ranges that reach outside a partition", () => {
    expect(clip([r(0, 10), r(50, 150), r(200, 300)], 40, 120)).toEqual([r(50, 120)]);
  });
  it("sums lengths", () => expect(totalBytes([r(0, 10), r(20, 25)])).toBe(15));
});
