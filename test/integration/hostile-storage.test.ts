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
 * Image size: a quarter GiB rather than 1 GiB. Every test hashes the outside raw files (canaryStates)
 * and the worker estimates the late-* images; the hostile headers name them whatever their size.
 */
const IMAGE_GIB = 0.25;

/** The images the inspector refuses at scan time, each with its code. */
const REFUSED_AT_SCAN = [
  ["datafile", "EXTERNAL_DATA_FILE"],
  ["outback", "BACKING_OUTSIDE_CHAIN"],
  ["jsonback", "BACKING_OUTSIDE_CHAIN"],
  ["unknown", "UNKNOWN_FEATURES"],
  ["enc", "ENCRYPTED"],
  ["desc", "FORMAT_MISMATCH"],
] as const;

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
  const sparsifyJobCount = async () =>
    (await stack.db.query(`SELECT count(*)::int AS n FROM sparsify_job WHERE "storageDomainId" = $1`, [domainId]))[0].n;
  beforeAll(async () => {
    outside = await fs.mkdtemp(path.join(os.tmpdir(), "outside-roots-"));
    // The domain's images are built in a staging dir while the stack starts, then moved into the
    // storage root (same filesystem, so a rename): every path they name is absolute.
    const staging = await fs.mkdtemp(path.join(os.tmpdir(), "hostile-dom-"));
    const ext4 = (file: string, format: "raw" | "qcow2", deletedMiB: number) =>
      makeExt4Image(file, { format, deletedMiB, sizeGiB: IMAGE_GIB });
    const [started] = await Promise.all([
      startStack(),
      // The repro: a qcow2 whose external data file lives outside every root. qemu-img
      // creates (truncates) the data file, so both headers naming it come first and its content after.
      (async () => {
        await qemuImgCreate(staging, "datafile.qcow2", "qcow2", "1G", [
          "-o",
          `data_file=${path.join(outside, "data.raw")},data_file_raw=on`,
        ]);
        await qemuImgCreate(outside, "hostile-df.qcow2", "qcow2", "1G", [
          "-o",
          `data_file=${path.join(outside, "data.raw")},data_file_raw=on`,
        ]);
        await ext4(path.join(outside, "data.raw"), "raw", 60);
      })(),
      (async () => {
        await ext4(path.join(outside, "base.raw"), "raw", 60);
        await qemuImgCreate(staging, "outback.qcow2", "qcow2", "1G", ["-b", path.join(outside, "base.raw"), "-F", "raw"]);
        await qemuImgCreate(outside, "hostile-back.qcow2", "qcow2", "1G", ["-b", path.join(outside, "base.raw"), "-F", "raw"]);
      })(),
      qemuImgCreate(staging, "jsonback.qcow2", "qcow2", "1G", [
        "-u",
        "-b",
        `json:{"file.driver":"file","file.filename":"${path.join(outside, "base.raw")}"}`,
        "-F",
        "raw",
      ]),
      (async () => {
        await qemuImgCreate(staging, "unknown.qcow2", "qcow2", "64M");
        await patchBytes(path.join(staging, "unknown.qcow2"), 72, u64(1n << 9n));
        await fs.copyFile(path.join(staging, "unknown.qcow2"), path.join(outside, "hostile-unknown.qcow2"));
      })(),
      (async () => {
        await qemuImgCreate(staging, "enc.qcow2", "qcow2", "64M", [
          "-o",
          "encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=50",
        ]);
        await fs.copyFile(path.join(staging, "enc.qcow2"), path.join(outside, "hostile-enc.qcow2"));
      })(),
      // A VMDK descriptor named .raw whose extent is outside: probed, qemu would open the extent.
      (async () => {
        await qemuImgCreate(outside, "ext.vmdk", "vmdk", "64M", ["-o", "subformat=monolithicFlat"]);
        await fs.copyFile(path.join(outside, "ext.vmdk"), path.join(staging, "desc.raw"));
        const flat = path.join(outside, "ext-flat.vmdk");
        await execa("sed", ["-i", `s#"ext-flat.vmdk"#"${flat}"#`, path.join(staging, "desc.raw")]);
        await fs.copyFile(path.join(staging, "desc.raw"), path.join(outside, "hostile-desc.raw")); // its extent is ext-flat.vmdk
      })(),
      // Clean at scan time, swapped for hostile content (same inode) before the run / the estimate.
      ...["late-df", "late-back", "late-est", "late-est-back", "late-unknown", "late-enc"].map((name) =>
        ext4(path.join(staging, `${name}.qcow2`), "qcow2", 30),
      ),
      ext4(path.join(staging, "late-desc.raw"), "raw", 30),
    ]);
    stack = started;
    dom = path.join(stack.root, "dom");
    await fs.rename(staging, dom);

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
    for (const [alias, code] of REFUSED_AT_SCAN) {
      expect(await until(alias, (d) => d.estimateUnavailableReason !== null), alias).toMatchObject({
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
    for (const [alias, code] of REFUSED_AT_SCAN) {
      const result = await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: ids.get(alias) });
      expect(codeOf(result), alias).toBe("DISK_NOT_SPARSIFIABLE");
      expect(
        result.errors![0].extensions.blockers.map((b: any) => b.code),
        alias,
      ).toContain(code);
    }
    expect(await sparsifyJobCount()).toBe(0);
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

  it.each([
    ["late-unknown", "hostile-unknown.qcow2", "UNKNOWN_FEATURES"],
    ["late-enc", "hostile-enc.qcow2", "ENCRYPTED"],
    ["late-desc", "hostile-desc.raw", "FORMAT_MISMATCH"],
  ])(
    "run time: %s, swapped for %s after the scan, fails %s; the outside files are untouched",
    async (alias, hostile, code) => {
      expect((await disk(alias)).sparsifiable).toBe(true);
      await estimated(alias);
      await overwriteWith(path.join(dom, `${alias}${path.extname(hostile)}`), path.join(outside, hostile));
      const job = await sparsifyToEnd(alias);
      expect(job).toMatchObject({ state: "FAILED", error: { code } });
      expect(await canaryStates(canaries)).toEqual(before);
      // Kept as a blocker until a rescan: no qemu tool opens it meanwhile.
      expect((await disk(alias)).blockers.map((b: any) => b.code)).toContain(code);
    },
    180_000,
  );

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
