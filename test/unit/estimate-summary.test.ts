import { describe, expect, it } from "vitest";
import { chainMismatch } from "../../src/host/estimate/chain-match.js";
import type { FsSignature } from "../../src/host/estimate/fs-detect.js";
import { methodLabel } from "../../src/host/estimate/method-label.js";
import { swapFreeRange } from "../../src/host/estimate/swap-free-range.js";
import { unavailableReason } from "../../src/host/estimate/unavailable-reason.js";

const ext4: FsSignature = { kind: "ext", type: "ext4", estimable: true };
const swap: FsSignature = { kind: "swap", type: "swap", estimable: true };
const lvm: FsSignature = { kind: "lvm", type: "LVM2_member", estimable: false };
const luks: FsSignature = { kind: "luks", type: "crypto_LUKS", estimable: false };
const btrfs: FsSignature = { kind: "unknown", type: "btrfs", estimable: false };
const xfs: FsSignature = { kind: "xfs", type: "xfs", estimable: false };
const nothing: FsSignature = { kind: "unknown", type: null, estimable: false };

describe("unavailableReason", () => {
  it.each([
    ["one ext4 among unknown parts still gets an estimate", [nothing, ext4, btrfs], null],
    ["swap alone is estimable", [swap], null],
    ["no partitions at all", [], "NO_FILESYSTEM"],
    ["random bytes", [nothing], "NO_FILESYSTEM"],
    ["btrfs", [btrfs, nothing], "UNSUPPORTED_FILESYSTEM"],
    ["xfs on a host without xfs_db", [xfs], "UNSUPPORTED_FILESYSTEM"],
    ["LVM", [lvm, nothing], "LVM"],
    ["LUKS", [luks], "ENCRYPTED"],
    ["LVM and LUKS: LVM, which virt-sparsify may still shrink", [luks, lvm], "LVM"],
    ["LUKS beside btrfs: ENCRYPTED", [btrfs, luks], "ENCRYPTED"],
  ])("%s", (_name, parts, expected) => {
    expect(unavailableReason(parts)).toBe(expected);
  });
});

describe("methodLabel", () => {
  it.each([
    [[ext4], 1, "ext4: free blocks ∩ qemu-img map"],
    [[ext4, swap, ext4], 1, "ext4+swap: free blocks ∩ qemu-img map"],
    [[ext4], 3, "ext4: free blocks ∩ qemu-img map (leaf of 3 layers)"],
    [[ext4, lvm, nothing], 1, "ext4: free blocks ∩ qemu-img map (skipped: LVM2_member)"],
  ])("%j × %i layers", (parts, layers, expected) => {
    expect(methodLabel(parts, layers)).toBe(expected);
  });
});

describe("chainMismatch", () => {
  const top = { realPath: "/d/top.qcow2", format: "qcow2" as const };
  const base = { realPath: "/d/base.qcow2", format: "qcow2" as const };
  const template = { realPath: "/d/template.qcow2", format: "qcow2" as const };
  it.each([
    ["leaf alone", [top], [top], null],
    ["leaf and its base", [top, base], [top, base], null],
    ["the chain goes on into a shared template", [top], [top, template], null],
    ["a volume that is not the backing file", [top, template], [top, base], /volume 1/],
    ["format given differs from the recorded one", [top, { ...base, format: "raw" as const }], [top, base], /recorded as qcow2/],
    ["more volumes than layers", [top, base, template], [top, base], /3 volumes/],
  ])("%s", (_name, volumes, chain, expected) => {
    const result = chainMismatch(volumes, chain);
    if (expected === null) expect(result).toBeNull();
    else expect(result).toMatch(expected);
  });
});

describe("swapFreeRange", () => {
  it.each([
    ["everything after the 4 KiB header", 1048576, 100 * 1048576, [{ start: 1048576 + 4096, end: 101 * 1048576 }]],
    ["a header-only partition frees nothing", 0, 4096, []],
  ])("%s", (_name, start, length, expected) => {
    expect(swapFreeRange(start, length)).toEqual(expected);
  });
});
