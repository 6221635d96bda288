import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readVolume } from "../../src/host/scan/read-volumes.js";
import { qemuImgCreate } from "../support/inspector-images.js";
import { requireTools } from "../support/require-tool.js";
import { makeTempDir } from "../support/temp-dir.js";

/** The `.img` rule at scan time: raw unless libvirt's driver type says otherwise; content must agree. */
describe.runIf(requireTools("qemu-img"))("readVolume: the format of an .img", () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    dir = await makeTempDir("img-format-");
    await qemuImgCreate(dir.path, "q.img", "qcow2", "64M");
    await qemuImgCreate(dir.path, "r.img", "raw", "64M");
  });
  afterAll(() => dir.remove());

  const read = (name: string, driver?: string | null) =>
    readVolume({ relPath: name, absPath: join(dir.path, name), format: "raw" }, dir.path, [dir.path], driver);

  it.each([
    ["q.img", undefined, "FORMAT_MISMATCH", "raw"],
    ["q.img", "qcow2", null, "qcow2"],
    ["r.img", undefined, null, "raw"],
    ["r.img", "raw", null, "raw"],
    ["r.img", "qcow2", "FORMAT_MISMATCH", "qcow2"],
    ["q.img", "vmdk", "FORMAT_MISMATCH", "raw"],
  ])("%s with libvirt driver %s → %s", async (name, driver, code, format) => {
    const reading = await read(name, driver);
    expect(reading.refusal?.code ?? null).toBe(code);
    expect(reading.format).toBe(format);
    // Accepted images were read by qemu-img in that format; refused ones never were.
    expect(reading.virtualSize).toBe(code ? 0 : 64 * 1024 * 1024);
  });
});
