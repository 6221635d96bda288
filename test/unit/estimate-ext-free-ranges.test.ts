import { describe, expect, it } from "vitest";
import { extFreeByteRanges, parseExtFreeBlocks, parseFreeBlocks } from "../../src/host/estimate/ext-free-ranges.js";
import { totalBytes } from "../../src/host/estimate/interval-math.js";
import { fixtureText } from "../support/estimate-fixtures.js";

/** dumpe2fs' own total in its header ("Free blocks: 248933"): an independent check of the parse. */
const headerTotal = (text: string) => Number(/^Free blocks:\s+(\d+)$/m.exec(text)![1]);
const runBlocks = (runs: Array<[number, number]>) => runs.reduce((n, [a, b]) => n + b - a + 1, 0);

describe("parseExtFreeBlocks on recorded dumpe2fs 1.47.0 output", () => {
  it.each([
    // 1 GiB ext4, 200 MiB deleted (docs/virt-sparsify.md §3 recipe 1); whole disk, then in an MBR partition.
    ["dumpe2fs-plain-1g.txt", 4096, [4247, 32767]],
    ["dumpe2fs-part-1g.txt", 4096, undefined],
    // 220 MiB kept in 256 MiB: groups with an empty "Free blocks:" list.
    ["dumpe2fs-nearly-full.txt", 4096, undefined],
    // ext2, 1 KiB blocks: group 0 starts at block 1.
    ["dumpe2fs-ext2-1k.txt", 1024, [786, 8192]],
  ])("%s: block size, and runs that add up to the header's total", (name, blockSize, firstRun) => {
    const text = fixtureText(name);
    const parsed = parseExtFreeBlocks(text);
    expect(parsed.blockSize).toBe(blockSize);
    expect(runBlocks(parsed.runs)).toBe(headerTotal(text));
    if (firstRun) expect(parsed.runs[0]).toEqual(firstRun);
  });

  it("keeps runs per group (65535 then 65536 stay apart) so discards can be aligned per request", () => {
    const { runs } = parseExtFreeBlocks(fixtureText("dumpe2fs-plain-1g.txt"));
    expect(runs).toContainEqual([55832, 65535]);
    expect(runs).toContainEqual([65536, 98303]);
  });
});

describe("parseExtFreeBlocks on hostile or odd text", () => {
  const header = "Block size:               4096\n";
  it.each([
    [
      "garbage items skipped",
      `${header}  Free blocks: 10-20, x, 30-25, -5, 40\n`,
      [
        [10, 20],
        [40, 40],
      ],
    ],
    ["header total never read as a run", `${header}\nFree blocks:              99\n  Free blocks: 1-2\n`, [[1, 2]]],
    ["empty list", `${header}  Free blocks: \n`, []],
  ])("%s", (_name, text, runs) => {
    expect(parseExtFreeBlocks(text).runs).toEqual(runs);
  });

  it.each([
    ["no block size", "  Free blocks: 1-2\n"],
    ["not a power of two", "Block size: 3000\n"],
    ["too large", "Block size: 131072\n"],
  ])("rejects %s", (_name, text) => {
    expect(() => parseExtFreeBlocks(text)).toThrow(/Block size/);
  });
});

describe("extFreeByteRanges", () => {
  it("turns blocks into disk bytes at the filesystem's offset", () => {
    const ranges = extFreeByteRanges(
      {
        blockSize: 4096,
        runs: [
          [1, 2],
          [10, 10],
        ],
      },
      1048576,
      1048576 + 1024 * 4096,
    );
    expect(ranges).toEqual([
      { start: 1048576 + 4096, end: 1048576 + 3 * 4096 },
      { start: 1048576 + 40960, end: 1048576 + 45056 },
    ]);
  });

  it("never reaches outside the partition, whatever the filesystem claims", () => {
    const ranges = extFreeByteRanges({ blockSize: 4096, runs: [[0, 1_000_000_000]] }, 4096, 8192);
    expect(ranges).toEqual([{ start: 4096, end: 8192 }]);
  });

  it("free bytes of the recorded partitioned disk lie inside its partition", () => {
    const start = 1048576;
    const end = 1073741824;
    const ranges = extFreeByteRanges(parseExtFreeBlocks(fixtureText("dumpe2fs-part-1g.txt")), start, end);
    expect(ranges[0]!.start).toBeGreaterThanOrEqual(start);
    expect(ranges.at(-1)!.end).toBeLessThanOrEqual(end);
    expect(totalBytes(ranges)).toBe(252773 * 4096);
  });
});

describe("parseFreeBlocks (the test helpers' merged shape)", () => {
  it("merges runs across groups", () => {
    const { ranges } = parseFreeBlocks(fixtureText("dumpe2fs-plain-1g.txt"));
    expect(ranges).toContainEqual([55832, 98303]);
  });
});
