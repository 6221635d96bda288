import { mkdir, readFile, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageRefusal } from "../../src/host/inspect/image-refusal.js";
import { inspectChain, type ChainLayer } from "../../src/host/inspect/inspect-chain.js";
import { patchBytes, qemuImgCreate } from "../support/inspector-images.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

/** Each header's backing file must be the next layer the inventory recorded, inside the domain. */
describe.runIf(requireTools("qemu-img"))("inspectChain", () => {
  let tmp: { path: string; remove: () => Promise<void> };
  let dom: string;
  let out: string;
  const at = (name: string, format: "raw" | "qcow2" = "qcow2"): ChainLayer => ({ path: join(dom, name), format });
  beforeAll(async () => {
    tmp = await makeTempDir("chain-");
    dom = join(tmp.path, "dom");
    out = join(tmp.path, "out");
    await mkdir(dom);
    await mkdir(out);
    await qemuImgCreate(dom, "base.raw", "raw", "64M");
    await qemuImgCreate(dom, "mid.qcow2", "qcow2", "64M", ["-b", "base.raw", "-F", "raw"]);
    await qemuImgCreate(dom, "top.qcow2", "qcow2", "64M", ["-b", "mid.qcow2", "-F", "qcow2"]);
    // qemu-img insists on -F: write it, then turn the backing-format extension into an unknown one.
    const noformat = await qemuImgCreate(dom, "noformat.qcow2", "qcow2", "64M", ["-u", "-b", "base.raw", "-F", "raw"]);
    const head = (await readFile(noformat)).subarray(0, 4096);
    await patchBytes(noformat, head.indexOf(Buffer.from([0xe2, 0x79, 0x2a, 0xca])), Buffer.from([0x12, 0x34, 0x56, 0x78]));
    await qemuImgCreate(dom, "wrongformat.qcow2", "qcow2", "64M", ["-u", "-b", "base.raw", "-F", "qcow2"]);
    await qemuImgCreate(out, "outside.raw", "raw", "64M");
    await qemuImgCreate(dom, "out.qcow2", "qcow2", "64M", ["-b", join(out, "outside.raw"), "-F", "raw"]);
    // A backing name that goes through a symlink inside the domain to a file outside it.
    await symlink(out, join(dom, "escape"));
    await qemuImgCreate(dom, "via-link.qcow2", "qcow2", "64M", ["-u", "-b", "escape/outside.raw", "-F", "raw"]);
  });
  afterAll(() => tmp.remove());

  const outcome = (layers: ChainLayer[]) =>
    inspectChain(layers, dom).then(
      (found) => `ok:${found.length}`,
      (error: unknown) => {
        if (!(error instanceof ImageRefusal)) throw error;
        return error.code;
      },
    );

  it.each([
    ["the recorded chain top → mid → base", ["top.qcow2", "mid.qcow2", "base.raw"], "ok:3"],
    ["a leaf alone whose header names a backing file", ["top.qcow2"], "BACKING_OUTSIDE_CHAIN"],
    ["a chain that skips a layer", ["top.qcow2", "base.raw"], "BACKING_OUTSIDE_CHAIN"],
    ["a recorded layer the header no longer names", ["base.raw", "mid.qcow2"], "CHAIN_CHANGED"],
    ["a backing file outside the domain", ["out.qcow2"], "BACKING_OUTSIDE_CHAIN"],
    [
      "a backing file outside the domain, even if the inventory lists it",
      ["via-link.qcow2", "escape/outside.raw"],
      "BACKING_OUTSIDE_CHAIN",
    ],
    ["a backing file without a recorded format", ["noformat.qcow2", "base.raw"], "FORMAT_MISMATCH"],
    ["a backing format that disagrees with the inventory", ["wrongformat.qcow2", "base.raw"], "FORMAT_MISMATCH"],
  ])("%s → %s", async (_name, names, expected) => {
    const layers = names.map((n) => at(n, n.endsWith(".raw") ? "raw" : "qcow2"));
    expect(await outcome(layers)).toBe(expected);
  });
});
