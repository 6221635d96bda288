import { describe, expect, it } from "vitest";
import { dataExtents, ownExtents, parseQemuImgMap } from "../../src/host/estimate/allocated-extents.js";
import { extFreeByteRanges, parseExtFreeBlocks } from "../../src/host/estimate/ext-free-ranges.js";
import { hostAllocation } from "../../src/host/estimate/host-allocation.js";
import { normalize, totalBytes } from "../../src/host/estimate/interval-math.js";
import { reclaimableInLayer, type LayerAllocation } from "../../src/host/estimate/layer-reclaim.js";
import { parseUnwrittenExtents } from "../../src/host/estimate/unwritten-extents.js";
import { fixtureJson, fixtureText } from "../support/estimate-fixtures.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const map = (name: string) => parseQemuImgMap(fixtureJson(name));
const stat = (name: string) => fixtureJson<{ size: number; blocks: number }>(name);

describe("parseQemuImgMap", () => {
  it("reads qemu 7.2's JSON, offsets only where present", () => {
    const entries = map("map-overlay-chain.json");
    expect(entries.length).toBeGreaterThan(3);
    expect(entries.find((e) => e.depth === 0)).toEqual({
      start: 734003200,
      length: 52428800,
      depth: 0,
      zero: false,
      data: true,
      offset: 327680,
    });
    expect(entries.find((e) => !e.data)).not.toHaveProperty("offset");
  });

  it.each([
    ["not an array", { start: 0 }],
    ["missing length", [{ start: 0, depth: 0, zero: false, data: true }]],
    ["negative start", [{ start: -1, length: 1, depth: 0, zero: false, data: true }]],
    ["string offset", [{ start: 0, length: 1, depth: 0, zero: false, data: true, offset: "0" }]],
  ])("rejects %s", (_name, json) => {
    expect(() => parseQemuImgMap(json)).toThrow();
  });
});

describe("ownExtents / dataExtents", () => {
  it("an overlay's own map: only the 50 MiB written into it, with its place in the file", () => {
    expect(ownExtents(map("map-overlay-own.json"))).toEqual([{ start: 700 * MiB, end: 750 * MiB, hostOffset: 327680 }]);
  });

  it("the same overlay opened with its chain: depth-1 entries are the base's, not the leaf's", () => {
    expect(ownExtents(map("map-overlay-chain.json"))).toEqual([{ start: 700 * MiB, end: 750 * MiB, hostOffset: 327680 }]);
  });

  it("falloc qcow2: zero clusters that keep an offset are owned (a discard frees them)", () => {
    expect(ownExtents(map("map-falloc-guest.json"))).toEqual([{ start: 0, end: 64 * MiB, hostOffset: 327680 }]);
  });

  it("the host map of a written qcow2 accounts for its actual-size (st_blocks) within 0.5 %", () => {
    const actual = stat("stat-qcow2.json").blocks * 512;
    const data = totalBytes(dataExtents(map("map-qcow2-host.json")));
    expect(Math.abs(actual - data) / actual).toBeLessThan(0.005);
  });
});

describe("parseUnwrittenExtents (filefrag -v)", () => {
  it.each([
    // mke2fs fallocates the 32 MiB journal (blocks 131073..139263) and the last 16 blocks.
    ["filefrag-mke2fs-raw.txt", (8191 + 16) * 4096],
    ["filefrag-fallocate.txt", 64 * MiB],
    // preallocation=falloc: the 64 MiB of data clusters (blocks 80..16463).
    ["filefrag-falloc-qcow2.txt", 64 * MiB],
  ])("%s", (name, bytes) => {
    expect(totalBytes(parseUnwrittenExtents(fixtureText(name)))).toBe(bytes);
  });

  it("explains st_blocks of the mke2fs raw disk together with the data extents", () => {
    const { blocks } = stat("stat-plain-raw.json");
    const seen = totalBytes(
      normalize([...dataExtents(map("map-raw.json")), ...parseUnwrittenExtents(fixtureText("filefrag-mke2fs-raw.txt"))]),
    );
    // st_blocks also counts the host's extent-tree block(s).
    expect(blocks * 512 - seen).toBeGreaterThanOrEqual(0);
    expect(blocks * 512 - seen).toBeLessThanOrEqual(65536);
  });

  it("rejects output without the header", () => expect(() => parseUnwrittenExtents("nothing")).toThrow());
});

describe("hostAllocation", () => {
  const data = [{ start: 0, end: MiB }];
  it.each([
    ["sparse file: st_blocks = data", MiB, 0],
    ["a little filesystem metadata is not preallocation", MiB + 8192, 0],
    ["fully fallocated 1 GiB", GiB, 1],
    ["half of the holes allocated", MiB + (GiB - MiB) / 2, 0.5],
  ])("%s", (_name, allocatedBytes, share) => {
    expect(hostAllocation({ data, fileSize: GiB, allocatedBytes }).hiddenShare).toBeCloseTo(share, 6);
  });
});

describe("reclaimableInLayer", () => {
  const K64 = 65536;
  const layer = (
    own: LayerAllocation["own"],
    data = [{ start: 0, end: 10 * GiB }],
    hiddenShare = 0,
    granule = K64,
  ): LayerAllocation => ({
    own,
    host: { data, hiddenShare },
    granule,
  });

  it.each([
    ["whole clusters inside a free run", [{ start: 0, end: 4 * K64 }], layer([{ start: 0, end: GiB, hostOffset: 0 }]), 4 * K64],
    [
      "partial clusters at both ends are not freed",
      [{ start: 4096, end: 4 * K64 - 4096 }],
      layer([{ start: 0, end: GiB, hostOffset: 0 }]),
      2 * K64,
    ],
    ["free but not stored in this layer", [{ start: 0, end: MiB }], layer([{ start: 2 * MiB, end: 3 * MiB, hostOffset: 0 }]), 0],
    [
      "stored, mapped, but a hole on the host (preallocation=metadata)",
      [{ start: 0, end: MiB }],
      layer([{ start: 0, end: MiB, hostOffset: 5 * MiB }], [{ start: 0, end: MiB }]),
      0,
    ],
    [
      "a hole on the host that st_blocks says is fallocated",
      [{ start: 0, end: MiB }],
      layer([{ start: 0, end: MiB, hostOffset: 5 * MiB }], [], 1),
      MiB,
    ],
    [
      "translated to host offsets before the host map is asked",
      [{ start: MiB, end: 2 * MiB }],
      layer([{ start: MiB, end: 2 * MiB, hostOffset: 0 }], [{ start: 0, end: MiB / 2 }]),
      MiB / 2,
    ],
    [
      "overlapping free lists (hostile partitions) count once",
      [
        { start: 0, end: MiB },
        { start: 0, end: MiB },
      ],
      layer([{ start: 0, end: GiB, hostOffset: 0 }]),
      MiB,
    ],
    [
      "raw: 4 KiB host blocks",
      [{ start: 1024, end: 9216 }],
      layer([{ start: 0, end: GiB, hostOffset: 0 }], undefined, 0, 4096),
      4096,
    ],
  ])("%s", (_name, free, l, expected) => {
    expect(reclaimableInLayer(free, l)).toBe(expected);
  });

  // The recorded 1 GiB disk with 200 MiB deleted (docs/virt-sparsify.md §3 recipe 1). virt-sparsify reclaimed, measured
  // in docs/virt-sparsify.md §4: qcow2 212,148,224 → 2,564,096 and raw 244,998,144 → 35,217,408 bytes.
  const free = extFreeByteRanges(parseExtFreeBlocks(fixtureText("dumpe2fs-plain-1g.txt")), 0, GiB);

  it("recorded qcow2: predicts virt-sparsify's measured reclaim of 209,584,128 bytes", () => {
    const { size, blocks } = stat("stat-qcow2.json");
    const host = hostAllocation({ data: dataExtents(map("map-qcow2-host.json")), fileSize: size, allocatedBytes: blocks * 512 });
    expect(reclaimableInLayer(free, { own: ownExtents(map("map-qcow2-guest.json")), host, granule: K64 })).toBe(
      212_148_224 - 2_564_096,
    );
  });

  it("recorded raw: with the fallocated journal seen through filefrag, predicts the measured 209,780,736 bytes", () => {
    const { size, blocks } = stat("stat-plain-raw.json");
    const data = normalize([
      ...dataExtents(map("map-raw.json")),
      ...parseUnwrittenExtents(fixtureText("filefrag-mke2fs-raw.txt")),
    ]);
    const host = hostAllocation({ data, fileSize: size, allocatedBytes: blocks * 512 });
    expect(reclaimableInLayer(free, { own: [{ start: 0, end: size, hostOffset: 0 }], host, granule: 4096 })).toBe(
      244_998_144 - 35_217_408,
    );
  });
});
