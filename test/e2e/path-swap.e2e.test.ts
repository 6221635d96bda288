import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canaryState, type CanaryState } from "../support/canary.js";
import { makeExt4Image } from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { makeTempDir } from "../support/temp-dir.js";
import { waitForOpsIdle } from "../support/queue-idle.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Swaps between the scan and the use of an image, driven through the whole stack: after each
 * swap the estimate and `sparsifyDisk` must refuse with a typed code, leave the disk unlocked,
 * and leave every file outside the storage roots byte- and allocation-identical. Without the
 * path guard, virt-sparsify follows the swap and trims the outside canary.
 */
describe.runIf(requireTools("virt-sparsify", "qemu-img", "mke2fs", "debugfs", "mknod", "mkfifo"))(
  "path swaps after the scan",
  () => {
    let stack: Stack;
    let outside: { path: string; remove: () => Promise<void> };
    let dom: string;
    let domainId: string;
    const diskId = new Map<string, string>();
    const canaries = new Map<string, CanaryState>();

    const gql = async (q: string, v?: Record<string, unknown>) => ok<any>(await stack.gql(q, v));
    const canary = async (name: string) => {
      const file = path.join(outside.path, name);
      await makeExt4Image(file, { format: "qcow2", deletedMiB: 40, sizeGiB: 1 });
      return file;
    };

    beforeAll(async () => {
      stack = await startStack();
      // Outside every storage root (the stack's root is a directory of its own).
      outside = await makeTempDir("outside-roots-");
      dom = path.join(stack.root, "dom");
      await fs.mkdir(path.join(dom, "sub"), { recursive: true });
      for (const name of ["leaf.qcow2", "sub/dir.qcow2", "hard.qcow2"])
        await execa("qemu-img", ["create", "-q", "-f", "qcow2", path.join(dom, name), "64M"]);
      for (const name of ["dev.raw", "fifo.raw"]) await execa("truncate", ["-s", "64M", path.join(dom, name)]);
      // A template and two clones: a clone's chain includes a layer it does not own.
      await fs.mkdir(path.join(dom, "tpl"));
      await execa("qemu-img", ["create", "-q", "-f", "qcow2", path.join(dom, "tpl", "base.qcow2"), "64M"]);
      for (const clone of ["c1.qcow2", "c2.qcow2"])
        await execa("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", path.join(dom, "tpl", clone)]);
      // Hard-linked before the scan: the scan itself sees it.
      await fs.link(await canary("prelinked-canary.qcow2"), path.join(dom, "prelinked.qcow2"));
      domainId = (await gql(`mutation($p: String!) { addStorageDomain(input: { name: "swaps", path: $p }) { id } }`, { p: dom }))
        .addStorageDomain.id;
      await gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domainId });
      const list = await gql(`{ disks(first: 50) { edges { node { id alias sparsifiable blockers { code } } } } }`);
      for (const e of list.disks.edges) diskId.set(e.node.alias, e.node.id);
      expect([...diskId.keys()].sort()).toEqual(["base", "c1", "c2", "dev", "dir", "fifo", "hard", "leaf", "prelinked"]);
      const blockersOf: Record<string, string[]> = { prelinked: ["IMAGE_HARDLINKED"], base: ["HAS_DERIVED_DISKS"] };
      for (const e of list.disks.edges)
        expect({ alias: e.node.alias, blockers: e.node.blockers.map((b: any) => b.code) }).toEqual({
          alias: e.node.alias,
          blockers: blockersOf[e.node.alias] ?? [],
        });

      // The scan queues an estimate of its disks (and the worker scans a new domain of its own):
      // let them end before swapping, or one reads a chain half-swapped (UNREADABLE, which blocks the
      // disk until a rescan) instead of the swap this test is about.
      await waitForOpsIdle(stack, domainId);

      // The swaps, after the scan recorded each file.
      const leafCanary = await canary("leaf-canary.qcow2");
      await fs.rm(path.join(dom, "leaf.qcow2"));
      await fs.symlink(leafCanary, path.join(dom, "leaf.qcow2"));

      await fs.mkdir(path.join(outside.path, "subdir"));
      await canary("subdir/dir.qcow2");
      await fs.rename(path.join(dom, "sub"), path.join(outside.path, "old-sub"));
      await fs.symlink(path.join(outside.path, "subdir"), path.join(dom, "sub"));

      const hardCanary = await canary("hard-canary.qcow2");
      await fs.rm(path.join(dom, "hard.qcow2"));
      await fs.link(hardCanary, path.join(dom, "hard.qcow2"));

      const templateCanary = await canary("template-canary.qcow2");
      await fs.rm(path.join(dom, "tpl", "base.qcow2"));
      await fs.symlink(templateCanary, path.join(dom, "tpl", "base.qcow2"));

      await fs.rm(path.join(dom, "dev.raw"));
      await execa("mknod", [path.join(dom, "dev.raw"), "c", "1", "3"]); // like /dev/null
      await fs.rm(path.join(dom, "fifo.raw"));
      await execa("mkfifo", [path.join(dom, "fifo.raw")]);

      for (const name of [
        "leaf-canary.qcow2",
        "subdir/dir.qcow2",
        "hard-canary.qcow2",
        "prelinked-canary.qcow2",
        "template-canary.qcow2",
      ])
        canaries.set(name, await canaryState(path.join(outside.path, name)));
    }, 180_000);

    afterAll(async () => {
      await stack?.close();
      await outside?.remove();
    });

    const expected: Record<string, string> = {
      leaf: "IMAGE_PATH_CHANGED",
      dir: "IMAGE_PATH_CHANGED",
      hard: "IMAGE_HARDLINKED",
      dev: "IMAGE_NOT_REGULAR_FILE",
      fifo: "IMAGE_NOT_REGULAR_FILE",
      c1: "IMAGE_PATH_CHANGED", // its template layer was swapped
    };

    it("the estimate refuses each swapped disk with its code and reads nothing outside", async () => {
      await gql(`mutation($id: ID!) { estimateStorageDomain(id: $id) { id } }`, { id: domainId });
      for (const [alias, code] of Object.entries(expected)) {
        const disk = (
          await gql(`query($d: ID!) { disk(id: $d) { reclaimableEstimate estimateUnavailableReason } }`, { d: diskId.get(alias) })
        ).disk;
        expect({ alias, ...disk }).toEqual({ alias, reclaimableEstimate: null, estimateUnavailableReason: code });
      }
    }, 60_000);

    it("sparsifyDisk ends each swapped disk's job FAILED with its code, the disk unlocked", async () => {
      for (const [alias, code] of Object.entries(expected)) {
        const job = (await gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId.get(alias) })).sparsifyDisk;
        const ended = await waitFor(
          async () => {
            const j = (await gql(`query($id: ID!) { sparsifyJob(id: $id) { state error { code message } } }`, { id: job.id }))
              .sparsifyJob;
            return j.state === "QUEUED" || j.state === "RUNNING" ? null : j;
          },
          { timeout: 120_000, what: `job of ${alias}` },
        );
        expect({ alias, state: ended.state, code: ended.error?.code }).toEqual({ alias, state: "FAILED", code });
        const disk = (await gql(`query($d: ID!) { disk(id: $d) { status } }`, { d: diskId.get(alias) })).disk;
        expect(disk.status).not.toBe("LOCKED");
      }
    }, 300_000);

    it("a file hard-linked at scan time is blocked with IMAGE_HARDLINKED, never estimated, and sparsifyDisk refuses it", async () => {
      const disk = (
        await gql(`query($d: ID!) { disk(id: $d) { sparsifiable blockers { code message } estimateUnavailableReason } }`, {
          d: diskId.get("prelinked"),
        })
      ).disk;
      expect(disk.sparsifiable).toBe(false);
      expect(disk.blockers[0].message).toMatch(/2 hard links/);
      expect(disk.estimateUnavailableReason).toBe("IMAGE_HARDLINKED");
      const refused = await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId.get("prelinked") });
      expect(refused.errors?.[0]?.extensions).toMatchObject({
        code: "DISK_NOT_SPARSIFIABLE",
        blockers: [{ code: "IMAGE_HARDLINKED" }],
      });
    });

    it("every canary outside the roots is byte- and allocation-identical", async () => {
      for (const [name, before] of canaries)
        expect({ name, ...(await canaryState(path.join(outside.path, name))) }).toEqual({ name, ...before });
    });
  },
);
