import { describe, expect, it } from "vitest";
import { DirectFallbackReason } from "../../src/domain/direct-method.js";
import { DirectRefusal } from "../../src/host/direct/direct-contract.js";
import { agreedFree, disagreementBytes } from "../../src/host/direct/readers-agree.js";
import { checkSwapHeader } from "../../src/host/direct/swap-header.js";
import type { ByteRange } from "../../src/host/estimate/interval-math.js";
import { fixtureJson, headOf, type SectorDump } from "../support/estimate-fixtures.js";

const heads = fixtureJson<Record<string, SectorDump>>("fs-heads.json");
const MiB = 1024 * 1024;

const reasonOf = (f: () => unknown): DirectFallbackReason | null => {
  try {
    f();
    return null;
  } catch (error) {
    if (error instanceof DirectRefusal) return error.reason;
    throw error;
  }
};

/** A swap header page: signature at 4086, version and last page at 1024/1028. */
function swapPage(signature: string, lastPage: number, version = 1): Buffer {
  const page = Buffer.alloc(4096);
  page.writeUInt32LE(version, 1024);
  page.writeUInt32LE(lastPage, 1028);
  page.write(signature, 4086, "latin1");
  return page;
}

describe("checkSwapHeader", () => {
  it("accepts the header mkswap wrote (fs-heads.json)", async () => {
    const page = await headOf(heads.swap!, 4096);
    const lastPage = page.readUInt32LE(1028);
    expect(checkSwapHeader(page, (lastPage + 1) * 4096)).toBe((lastPage + 1) * 4096);
  });
  it.each<[string, Buffer, number, DirectFallbackReason | null]>([
    ["SWAPSPACE2 filling its partition", swapPage("SWAPSPACE2", 255), MiB, null],
    ["a swap smaller than its partition", swapPage("SWAPSPACE2", 100), MiB, null],
    ["S1SUSPEND (hibernated)", swapPage("S1SUSPEND\0", 255), MiB, DirectFallbackReason.SWAP_NOT_PLAIN],
    ["S2SUSPEND", swapPage("S2SUSPEND\0", 255), MiB, DirectFallbackReason.SWAP_NOT_PLAIN],
    ["ULSUSPEND", swapPage("ULSUSPEND\0", 255), MiB, DirectFallbackReason.SWAP_NOT_PLAIN],
    ["LINHIB0001", swapPage("LINHIB0001", 255), MiB, DirectFallbackReason.SWAP_NOT_PLAIN],
    ["a v0 SWAP-SPACE", swapPage("SWAP-SPACE", 255), MiB, DirectFallbackReason.SWAP_NOT_PLAIN],
    ["version 2", swapPage("SWAPSPACE2", 255, 2), MiB, DirectFallbackReason.SWAP_NOT_PLAIN],
    ["a swap larger than its partition", swapPage("SWAPSPACE2", 256), MiB, DirectFallbackReason.SUPERBLOCK_MISMATCH],
    ["no pages", swapPage("SWAPSPACE2", 0), MiB, DirectFallbackReason.SUPERBLOCK_MISMATCH],
    ["a short read", swapPage("SWAPSPACE2", 255).subarray(0, 4000), MiB, DirectFallbackReason.SUPERBLOCK_MISMATCH],
  ])("%s", (_, page, partitionLength, reason) => {
    expect(reasonOf(() => checkSwapHeader(page, partitionLength))).toBe(reason);
  });
});

describe("agreedFree", () => {
  const r = (start: number, end: number): ByteRange => ({ start, end });
  it.each<[string, ByteRange[], ByteRange[], number]>([
    ["identical", [r(0, 10)], [r(0, 10)], 0],
    ["split differently, same bytes", [r(0, 5), r(5, 10)], [r(0, 10)], 0],
    ["one reader sees more", [r(0, 10)], [r(0, 12)], 2],
    ["disjoint", [r(0, 10)], [r(20, 25)], 15],
    ["both empty", [], [], 0],
  ])("disagreement of %s", (_, a, b, bytes) => {
    expect(disagreementBytes(a, b)).toBe(bytes);
  });

  it("returns the shared ranges when the readers agree", () => {
    expect(agreedFree("fs", [r(4096, 8192), r(0, 4096)], [r(0, 8192)])).toEqual([r(0, 8192)]);
  });
  it("refuses any disagreement beyond the tolerance, and only the intersection passes within it", () => {
    expect(reasonOf(() => agreedFree("fs", [r(0, 8192)], [r(0, 4096)]))).toBe(DirectFallbackReason.FREE_SPACE_READERS_DISAGREE);
    expect(agreedFree("fs", [r(0, 8192)], [r(0, 4096)], 4096)).toEqual([r(0, 4096)]);
  });
});
