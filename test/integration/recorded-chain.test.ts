import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canaryStates, type CanaryState } from "../support/canary.js";
import { domainDriver, overwriteWith } from "../support/domain-driver.js";
import { makeExt4Image, makeTemplateWithClones } from "../support/images.js";
import { qemuImgCreate } from "../support/inspector-images.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";

/**
 * Chains come from the inventory: a clone's chain is its own volume plus its template's, as the
 * scan recorded them. A template whose header later names a file outside is refused for every
 * disk that reads it, in the estimator and in sparsifyDisk, and the outside file stays as it was.
 */
describe.runIf(requireTools("qemu-img", "mke2fs"))("recorded chains with a template", () => {
  let stack: Stack;
  let domainId: string;
  let dom: string;
  let outside: string;
  let canaries: string[];
  let before: CanaryState[];
  const { disk, scan, estimate, estimated, sparsifyToEnd, until } = domainDriver(
    () => stack,
    () => domainId,
  );

  beforeAll(async () => {
    stack = await startStack();
    outside = await fs.mkdtemp(path.join(os.tmpdir(), "outside-roots-"));
    dom = path.join(stack.root, "tpl");
    await fs.mkdir(dom);
    await makeTemplateWithClones(dom);
    await makeExt4Image(path.join(outside, "base.raw"), { format: "raw", deletedMiB: 40 });
    await qemuImgCreate(outside, "hostile-tpl.qcow2", "qcow2", "1G", ["-b", path.join(outside, "base.raw"), "-F", "raw"]);
    canaries = [path.join(outside, "base.raw")];
    before = await canaryStates(canaries);
    domainId = ok<any>(
      await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "tpl", path: $p }) { id } }`, { p: dom }),
    ).addStorageDomain.id;
    await scan();
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await fs.rm(outside, { recursive: true, force: true });
  });

  it("a clone is estimated through its template's recorded volume", async () => {
    await estimated("clone-1");
    await estimated("clone-2");
    await estimated("template"); // the whole post-scan estimate is over: nothing races the swap below
    expect((await disk("clone-1")).estimateUnavailableReason).toBeNull();
  });

  it("a template that names an outside backing file after the scan: the clone's job fails BACKING_OUTSIDE_CHAIN", async () => {
    await overwriteWith(path.join(dom, "template.qcow2"), path.join(outside, "hostile-tpl.qcow2"));
    const job = await sparsifyToEnd("clone-2");
    expect(job).toMatchObject({ state: "FAILED", error: { code: "BACKING_OUTSIDE_CHAIN" } });
    expect(job.error.message).toMatch(/template\.qcow2: its backing file ".*base\.raw" is not part of the disk's recorded chain/);
    expect(await canaryStates(canaries)).toEqual(before);
  });

  it("…and the estimator refuses every disk that reads the template", async () => {
    await estimate();
    for (const alias of ["clone-1", "template"]) {
      const d = await until(alias, (x) => x.estimateUnavailableReason !== null, `estimate of ${alias} to be refused`);
      expect(d, alias).toMatchObject({ reclaimableEstimate: null, estimateUnavailableReason: "BACKING_OUTSIDE_CHAIN" });
    }
    expect((await disk("clone-1")).blockers.map((b: any) => b.code)).toContain("BACKING_OUTSIDE_CHAIN");
    expect(await canaryStates(canaries)).toEqual(before);
  });
});
