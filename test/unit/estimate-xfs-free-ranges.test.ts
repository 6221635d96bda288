import { describe, expect, it } from "vitest";
import { totalBytes } from "../../src/host/estimate/interval-math.js";
import { parseXfsFreeExtents, xfsFreeByteRanges } from "../../src/host/estimate/xfs-free-ranges.js";
import { fixtureText } from "../support/estimate-fixtures.js";

/** The `freesp` histogram after the extent list sums the same blocks: an independent check. */
const histogramBlocks = (text: string) =>
  [...text.matchAll(/^\s*\d+\s+\d+\s+\d+\s+(\d+)\s+[\d.]+\s*$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);

describe("parseXfsFreeExtents on recorded xfs_db 6.1 output", () => {
  it.each([
    ["xfs_db-1g.txt", { blockSize: 4096, agBlocks: 65536, agCount: 4, dBlocks: 262144 }],
    ["xfs_db-400m-1k.txt", { blockSize: 1024, agBlocks: 102400, agCount: 4, dBlocks: 409600 }],
  ])("%s: geometry, and extents that add up to the histogram", (name, geometry) => {
    const text = fixtureText(name);
    const parsed = parseXfsFreeExtents(text);
    expect(parsed).toMatchObject(geometry);
    expect(parsed.extents.reduce((n, [, , len]) => n + len, 0)).toBe(histogramBlocks(text));
    expect(new Set(parsed.extents.map(([agno]) => agno))).toEqual(new Set([0, 1, 2, 3]));
  });
});

describe("parseXfsFreeExtents on hostile or odd text", () => {
  const sb = "blocksize = 4096\nagblocks = 100\nagcount = 2\ndblocks = 200\n";
  it.each([
    ["extent past its AG dropped", `${sb}  0 90 20\n  1 0 100\n`, [[1, 0, 100]]],
    ["AG beyond agcount dropped", `${sb}  2 0 10\n`, []],
    ["histogram lines (5 columns) ignored", `${sb}   from to extents blocks pct\n  1 1 16 16 0.01\n`, []],
  ])("%s", (_name, text, extents) => {
    expect(parseXfsFreeExtents(text).extents).toEqual(extents);
  });

  it.each([
    ["no superblock fields", "  0 1 2\n"],
    ["block size not a power of two", "blocksize = 3000\nagblocks = 1\nagcount = 1\ndblocks = 1\n"],
  ])("rejects %s", (_name, text) => expect(() => parseXfsFreeExtents(text)).toThrow());
});

describe("xfsFreeByteRanges", () => {
  const free = {
    blockSize: 4096,
    agBlocks: 100,
    agCount: 2,
    dBlocks: 200,
    extents: [
      [0, 10, 5],
      [1, 0, 100],
    ] as Array<[number, number, number]>,
  };
  it("AG n block b is disk block n × agblocks + b, offset by the partition", () => {
    expect(xfsFreeByteRanges(free, 1048576, 1048576 + 200 * 4096)).toEqual([
      { start: 1048576 + 10 * 4096, end: 1048576 + 15 * 4096 },
      { start: 1048576 + 100 * 4096, end: 1048576 + 200 * 4096 },
    ]);
  });
  it("cut to the partition and to dblocks, whichever is smaller", () => {
    expect(totalBytes(xfsFreeByteRanges(free, 0, 150 * 4096))).toBe(5 * 4096 + 50 * 4096);
    expect(totalBytes(xfsFreeByteRanges({ ...free, dBlocks: 120 }, 0, 10 ** 9))).toBe(5 * 4096 + 20 * 4096);
  });
});
