import fs from "node:fs/promises";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHostWorker, type RunningWorker } from "../../src/jobs/worker/start-worker.js";
import { domainDriver } from "../support/domain-driver.js";
import { makeExt4Image } from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";

/**
 * A worker restarted after Ctrl-C finds its host row as its predecessor left it: libvirt
 * UNREACHABLE (the terminal's SIGINT ended the predecessor's `virsh event`). A job handed back
 * then must wait until the new libvirt link has spoken, not fail its pre-check on the stale word
 * with DISK_NOT_SPARSIFIABLE. libvirt's in-process test driver (test:///default) stands in for the
 * hypervisor: it answers in ~0.4 s, long enough for a job taken at once to hit the stale state.
 */
describe.runIf(requireTools("virsh", "qemu-storage-daemon", "qemu-io", "qemu-img", "mke2fs", "debugfs"))(
  "a restarted worker takes sparsify jobs only once its libvirt link has spoken",
  () => {
    let stack: Stack;
    let domainId: string;
    let second: RunningWorker | null = null;
    const { ids, scan, settled } = domainDriver(
      () => stack,
      () => domainId,
    );
    const hostState = async () =>
      (await stack.db.query(`SELECT "libvirtState" FROM host WHERE name = $1`, [stack.config.HOST_NAME]))[0]?.libvirtState;

    beforeAll(async () => {
      stack = await startStack({ env: { LIBVIRT_URI: "test:///default" } });
      const dom = path.join(stack.root, "dom");
      await fs.mkdir(dom);
      await makeExt4Image(path.join(dom, "web.qcow2"), { format: "qcow2", deletedMiB: 40, sizeGiB: 0.25 });
      domainId = ok<any>(
        await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "dom", path: $p }) { id } }`, { p: dom }),
      ).addStorageDomain.id;
      // DIRECT: the run takes a second, not a virt-sparsify appliance boot.
      ok(
        await stack.gql(`mutation($d: ID!) { setSparsifyMethod(storageDomainId: $d, method: DIRECT) { id } }`, {
          d: domainId,
        }),
      );
      await scan();
      await settled();
      await waitFor(async () => (await hostState()) === "CONNECTED", { what: "libvirt CONNECTED", timeout: 20_000 });
    }, 120_000);

    afterAll(async () => {
      await second?.close(true).catch(() => {});
      await stack?.close();
    });

    it("a job queued while the worker was down runs to SUCCEEDED although the host row still says UNREACHABLE", async () => {
      await stack.worker!.close(true);
      const job = ok<any>(
        await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: ids.get("web") }),
      ).sparsifyDisk;
      // The predecessor's last word, as its ended `virsh event` left it.
      await stack.db.query(`UPDATE host SET "libvirtState" = 'UNREACHABLE' WHERE name = $1`, [stack.config.HOST_NAME]);

      second = await startHostWorker(stack.config, stack.db, pino({ level: "silent" }));
      const ended = await waitFor(
        async () => {
          const j = ok<any>(
            await stack.gql(`query($j: ID!) { sparsifyJob(id: $j) { state methodUsed error { code message } } }`, {
              j: job.id,
            }),
          ).sparsifyJob;
          return j.state === "QUEUED" || j.state === "RUNNING" ? null : j;
        },
        { timeout: 90_000, what: "the job to end" },
      );
      expect(ended).toMatchObject({ state: "SUCCEEDED", methodUsed: "DIRECT", error: null });
      expect(await hostState()).toBe("CONNECTED");
    }, 120_000);
  },
);
