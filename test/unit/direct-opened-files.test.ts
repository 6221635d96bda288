import { describe, expect, it } from "vitest";
import { compareOpenedFiles, type OpenedFile } from "../../src/host/direct/opened-files.js";

const leaf = { device: "64769", inode: "100" };
const base = { device: "64769", inode: "200" };
const opened = (inode: string, name: string, device = "64769"): OpenedFile => ({ device, inode, name, links: 1 });

describe("compareOpenedFiles: what a daemon opened against the chain it was given", () => {
  it.each([
    ["the leaf alone", [leaf], [opened("100", "/d/leaf.qcow2")], null],
    ["a leaf and its base", [leaf, base], [opened("200", "/d/base.qcow2"), opened("100", "/d/leaf.qcow2")], null],
    ["the same file open twice", [leaf], [opened("100", "/d/leaf.qcow2"), opened("100", "/d/leaf.qcow2")], null],
    [
      "a data file besides the leaf",
      [leaf],
      [opened("100", "/d/leaf.qcow2"), opened("300", "/out/data.raw")],
      { missing: [], extra: [opened("300", "/out/data.raw")] },
    ],
    [
      "another file where the leaf was (a symlink swap)",
      [leaf],
      [opened("300", "/out/other.qcow2")],
      { missing: [0], extra: [opened("300", "/out/other.qcow2")] },
    ],
    [
      "the same inode number on another device",
      [leaf],
      [opened("100", "/other-fs/leaf.qcow2", "2049")],
      { missing: [0], extra: [opened("100", "/other-fs/leaf.qcow2", "2049")] },
    ],
    ["a base that was not opened", [leaf, base], [opened("100", "/d/leaf.qcow2")], { missing: [1], extra: [] }],
  ])("%s", (_, layers, files, expected) => {
    expect(compareOpenedFiles(layers, files)).toEqual(expected);
  });
});
