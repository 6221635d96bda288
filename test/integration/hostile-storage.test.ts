import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canaryStates, type CanaryState } from "../support/canary.js";
import { makeExt4Image } from "../support/images.js";
import { patchBytes, qemuImgCreate, u64 } from "../support/inspector-images.js";
import { requireTools } from "../support/require-tool.js";
import { domainDriver, overwriteWith } from "../support/domain-driver.js";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";

/**
 * Hostile images in a storage domain, driven through scan, estimate and sparsifyDisk with the
 * real gateway, worker, PostgreSQL, Redis and qemu tools. Files outside the storage roots (the
 * canaries) must keep their bytes and their allocation, whatever the images' headers say.
 */
describe.runIf(requireTools("qemu-img", "virt-sparsify", "mke2fs"))("hostile storage: the image inspector", () => {
  let stack: Stack;
  let dom: string;
  let outside: string;
  let domainId: string;
  let canaries: string[];
  let before: CanaryState[];

  const { ids, disk, scan, estimate, estimated, sparsifyToEnd, until } = domainDriver(
    () => stack,
    () => domainId,
  );
  beforeAll(async () => {
    stack = await startStack();
    outside = await fs.mkdtemp(path.join(os.tmpdir(), "outside-roots-"));
    dom = path.join(stack.root, "dom");
    await fs.mkdir(dom);
    // The repro: a qcow2 whose external data file lives outside every root. qemu-img
    // creates (truncates) the data file, so the header comes first and the content after.
    await qemuImgCreate(dom, "datafile.qcow2", "qcow2", "1G", [
      "-o",
      `data_file=${path.join(outside, "data.raw")},data_file_raw=on`,
    ]);
    await makeExt4Image(path.join(outside, "data.raw"), { format: "raw", deletedMiB: 60 });
    await makeExt4Image(path.join(outside, "base.raw"), { format: "raw", deletedMiB: 60 });
    await qemuImgCreate(dom, "outback.qcow2", "qcow2", "1G", ["-b", path.join(outside, "base.raw"), "-F", "raw"]);
    await qemuImgCreate(dom, "jsonback.qcow2", "qcow2", "1G", [
      "-u",
      "-b",
      `json:{"file.driver":"file","file.filename":"${path.join(outside, "base.raw")}"}`,
      "-F",
      "raw",
    ]);
    await qemuImgCreate(dom, "unknown.qcow2", "qcow2", "64M");
    await patchBytes(path.join(dom, "unknown.qcow2"), 72, u64(1n << 9n));
    await qemuImgCreate(dom, "enc.qcow2", "qcow2", "64M", [
      "-o",
      "encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=50",
    ]);
    // A VMDK descriptor named .raw whose extent is outside: probed, qemu would open the extent.
    await qemuImgCreate(outside, "ext.vmdk", "vmdk", "64M", ["-o", "subformat=monolithicFlat"]);
    await fs.copyFile(path.join(outside, "ext.vmdk"), path.join(dom, "desc.raw"));
    await execa("sed", ["-i", `s#"ext-flat.vmdk"#"${path.join(outside, "ext-flat.vmdk")}"#`, path.join(dom, "desc.raw")]);
    // Clean at scan time, swapped for hostile content (same inode) before the run / the estimate.
    for (const name of ["late-df", "late-back", "late-est", "late-est-back"])
      await makeExt4Image(path.join(dom, `${name}.qcow2`), { format: "qcow2", deletedMiB: 30 });
    await qemuImgCreate(outside, "hostile-df.qcow2", "qcow2", "1G", [
      "-o",
      `data_file=${path.join(outside, "data.raw")},data_file_raw=on`,
    ]);
    await makeExt4Image(path.join(outside, "data.raw"), { format: "raw", deletedMiB: 60 }); // created again: the header truncated it
    await qemuImgCreate(outside, "hostile-back.qcow2", "qcow2", "1G", ["-b", path.join(outside, "base.raw"), "-F", "raw"]);

    canaries = ["data.raw", "base.raw", "ext-flat.vmdk", "ext.vmdk"].map((f) => path.join(outside, f));
    before = await canaryStates(canaries);
    const domain = ok<any>(
      await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "dom", path: $p }) { id } }`, { p: dom }),
    ).addStorageDomain;
    domainId = domain.id;
    await scan();
  }, 240_000);
  afterAll(async () => {
    await stack?.close();
    await fs.rm(outside, { recursive: true, force: true });
  });

  it.each([
    ["datafile", "EXTERNAL_DATA_FILE", /external file \(raw\) named ".*data\.raw"/],
    ["outback", "BACKING_OUTSIDE_CHAIN", /outside the storage roots/],
    ["jsonback", "BACKING_OUTSIDE_CHAIN", /protocol or json: name/],
    ["unknown", "UNKNOWN_FEATURES", /incompatible bit 9/],
    ["enc", "ENCRYPTED", /encrypted \(LUKS\)/],
    ["desc", "FORMAT_MISMATCH", /named as raw but holds a vmdk image/],
  ])("scan: %s is blocked with %s, in words", async (alias, code, words) => {
    const d = await disk(alias);
    expect(d.sparsifiable).toBe(false);
    expect(d.blockers.map((b: any) => b.code)).toContain(code);
    const blocker = d.blockers.find((b: any) => b.code === code);
    expect(blocker.message).toMatch(/^The image inspector refused /);
    expect(blocker.message).toMatch(words);
  });

  it("the scan ran no qemu-img on a refused image: no size was read", async () => {
    const rows = await stack.db.query(
      `SELECT "relPath", "virtualSize", "refusalCode" FROM volume WHERE "refusalCode" IS NOT NULL ORDER BY "relPath"`,
    );
    expect(rows.map((r: any) => r.relPath)).toEqual([
      "datafile.qcow2",
      "desc.raw",
      "enc.qcow2",
      "jsonback.qcow2",
      "outback.qcow2",
      "unknown.qcow2",
    ]);
    expect(rows.every((r: any) => Number(r.virtualSize) === 0)).toBe(true);
  });

  it("estimate: refused disks are not estimated and say why; clean ones are", async () => {
    await estimate();
    for (const [alias, code] of [
      ["datafile", "EXTERNAL_DATA_FILE"],
      ["outback", "BACKING_OUTSIDE_CHAIN"],
      ["unknown", "UNKNOWN_FEATURES"],
      ["enc", "ENCRYPTED"],
      ["desc", "FORMAT_MISMATCH"],
    ]) {
      expect(await until(alias!, (d) => d.estimateUnavailableReason !== null), alias).toMatchObject({
        reclaimableEstimate: null,
        estimateUnavailableReason: code,
      });
    }
    expect((await until("late-est", (d) => d.reclaimableEstimate !== null)).reclaimableEstimate).toBeGreaterThan(
      20 * 1024 * 1024,
    );
    expect(await canaryStates(canaries)).toEqual(before);
  });

  it("sparsifyDisk on a refused disk is refused at once, naming the code", async () => {
    for (const alias of ["datafile", "outback", "desc"]) {
      const result = await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: ids.get(alias) });
      expect(codeOf(result)).toBe("DISK_NOT_SPARSIFIABLE");
      expect(JSON.stringify(result.errors)).toMatch(/EXTERNAL_DATA_FILE|BACKING_OUTSIDE_CHAIN|FORMAT_MISMATCH/);
    }
    expect(await canaryStates(canaries)).toEqual(before);
  });

  it("run time: a leaf given an external data file after the scan fails EXTERNAL_DATA_FILE; the outside file is untouched", async () => {
    expect((await disk("late-df")).sparsifiable).toBe(true);
    await estimated("late-df");
    await overwriteWith(path.join(dom, "late-df.qcow2"), path.join(outside, "hostile-df.qcow2"));
    const job = await sparsifyToEnd("late-df");
    expect(job).toMatchObject({ state: "FAILED", error: { code: "EXTERNAL_DATA_FILE" } });
    expect(job.error.message).toMatch(/data\.raw/);
    expect(await canaryStates(canaries)).toEqual(before);
    // Kept as a blocker until a rescan: no qemu tool opens it meanwhile.
    expect((await disk("late-df")).blockers.map((b: any) => b.code)).toContain("EXTERNAL_DATA_FILE");
  }, 180_000);

  it("run time: a leaf given an outside backing file after the scan fails BACKING_OUTSIDE_CHAIN", async () => {
    await estimated("late-back");
    await overwriteWith(path.join(dom, "late-back.qcow2"), path.join(outside, "hostile-back.qcow2"));
    const job = await sparsifyToEnd("late-back");
    expect(job).toMatchObject({ state: "FAILED", error: { code: "BACKING_OUTSIDE_CHAIN" } });
    expect(await canaryStates(canaries)).toEqual(before);
  }, 180_000);

  it("estimate time: a leaf swapped after the scan is refused, not estimated, and stays blocked", async () => {
    await overwriteWith(path.join(dom, "late-est.qcow2"), path.join(outside, "hostile-df.qcow2"));
    await estimate();
    expect(await until("late-est", (d) => d.estimateUnavailableReason !== null)).toMatchObject({
      reclaimableEstimate: null,
      estimateUnavailableReason: "EXTERNAL_DATA_FILE",
      sparsifiable: false,
    });
    expect(await canaryStates(canaries)).toEqual(before);
  });

  it("estimate time: a leaf given an outside backing file after the scan is refused, never estimated through it", async () => {
    await estimated("late-est-back");
    await overwriteWith(path.join(dom, "late-est-back.qcow2"), path.join(outside, "hostile-back.qcow2"));
    await estimate();
    expect(await until("late-est-back", (d) => d.estimateUnavailableReason !== null)).toMatchObject({
      reclaimableEstimate: null,
      estimateUnavailableReason: "BACKING_OUTSIDE_CHAIN",
      sparsifiable: false,
    });
    expect(await canaryStates(canaries)).toEqual(before);
  });

  it("a rescan that finds an image clean again lifts its refusal", async () => {
    await makeExt4Image(path.join(dom, "late-est.qcow2"), { format: "qcow2", deletedMiB: 10 });
    await scan();
    const d = await disk("late-est");
    expect(d.blockers.map((b: any) => b.code)).not.toContain("EXTERNAL_DATA_FILE");
    expect(d.sparsifiable).toBe(true);
    expect((await disk("datafile")).blockers.map((b: any) => b.code)).toContain("EXTERNAL_DATA_FILE");
    expect(await canaryStates(canaries)).toEqual(before);
  });
});
