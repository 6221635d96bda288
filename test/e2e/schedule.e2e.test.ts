import fs from "node:fs/promises";
import path from "node:path";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeExt4Image } from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";
import { followJob, wsClient } from "../support/ws.js";

const MiB = 1024 * 1024;

/**
 * Estimates after a scan, the needs-sparsify threshold, and a schedule with a short cron that
 * sparsifies exactly the disks above the threshold and skips the blocked one with its reasons.
 */
describe.runIf(requireTools("virt-sparsify", "qemu-img", "mke2fs", "debugfs", "qemu-storage-daemon"))(
  "reclaim estimates and periodic sparsify",
  () => {
    let stack: Stack;
    let client: Client;
    let domainId: string;
    const disk = new Map<string, any>();

    const loadDisks = async () => {
      const data = ok<any>(
        await stack.gql(
          "{ disks(orderBy: { field: RECLAIMABLE, direction: DESC }) { edges { node { id alias actualSize " +
            "reclaimableEstimate estimateMethod estimateDetail estimateUnavailableReason needsSparsify " +
            "sparsifiable } } } }",
        ),
      );
      for (const e of data.disks.edges) disk.set(e.node.alias, e.node);
      return data.disks.edges.map((e: any) => e.node);
    };

    beforeAll(async () => {
      stack = await startStack({ env: { NEEDS_SPARSIFY_MIN_BYTES: String(100 * MiB), NEEDS_SPARSIFY_MIN_RATIO: "0.2" } });
      client = wsClient(stack.wsUrl, stack.token);
      const dir = path.join(stack.root, "sched");
      await fs.mkdir(dir);
      await makeExt4Image(path.join(dir, "big.qcow2"), { format: "qcow2", deletedMiB: 200 });
      await makeExt4Image(path.join(dir, "busy.qcow2"), { format: "qcow2", deletedMiB: 200 });
      await makeExt4Image(path.join(dir, "small.qcow2"), { format: "qcow2", deletedMiB: 10 });
      domainId = ok<any>(
        await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "sched", path: $p }) { id } }`, { p: dir }),
      ).addStorageDomain.id;
      // A scan is followed by an estimate job on the host.
      await waitFor(
        async () => (await loadDisks()).length === 3 && [...disk.values()].every((d) => d.reclaimableEstimate !== null),
        { timeout: 60_000, what: "estimates after the scan" },
      );
      const vm = ok<any>(await stack.gql(`mutation { addVm(input: { name: "busy-vm" }) { id } }`)).addVm;
      ok(
        await stack.gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: true) { id } }`, {
          v: vm.id,
          d: disk.get("busy").id,
        }),
      );
      ok(await stack.gql(`mutation($v: ID!) { setVmStatus(id: $v, status: UP) { id } }`, { v: vm.id }));
      await loadDisks();
    }, 120_000);

    afterAll(async () => {
      await client?.dispose();
      await stack?.close();
    });

    it("estimates what would come back, read-only, and flags the disks worth it", () => {
      const big = disk.get("big");
      expect(Math.abs(big.reclaimableEstimate - 200 * MiB)).toBeLessThan(10 * MiB);
      expect(big.estimateMethod).toBe("FREE_BLOCKS");
      expect(big.estimateDetail).toMatch(/free blocks/);
      expect(big).toMatchObject({ needsSparsify: true, sparsifiable: true });
      expect(disk.get("busy")).toMatchObject({ needsSparsify: true, sparsifiable: false });
      expect(disk.get("small").needsSparsify).toBe(false);
      expect(disk.get("small").reclaimableEstimate).toBeLessThan(20 * MiB);
    });

    it("outside its maintenance window a schedule does nothing, and says why", async () => {
      const hour = (new Date().getUTCHours() + 3) % 24;
      const hh = (h: number) => String(h).padStart(2, "0") + ":00";
      ok(
        await stack.gql(
          `mutation($d: ID!, $s: SparsifyScheduleInput!) { setSparsifySchedule(storageDomainId: $d, schedule: $s) { id } }`,
          { d: domainId, s: { cron: "*/2 * * * * *", windowStart: hh(hour), windowEnd: hh((hour + 1) % 24) } },
        ),
      );
      const skipped = await waitFor(
        async () =>
          ok<any>(await stack.gql(`{ events(filter: { types: ["SCHEDULE_SKIPPED"] }) { edges { node { message } } } }`)).events
            .edges[0]?.node,
        { timeout: 20_000, what: "a skipped run" },
      );
      expect(skipped.message).toMatch(/outside the maintenance window/);
      ok(await stack.gql(`mutation($d: ID!) { removeSparsifySchedule(storageDomainId: $d) }`, { d: domainId }));
      expect(ok<any>(await stack.gql(`{ sparsifyJobs { totalCount } }`)).sparsifyJobs.totalCount).toBe(0);
    }, 60_000);

    it("a short cron sparsifies exactly the disks above the threshold and records the blocked one with its reasons", async () => {
      const schedule = ok<any>(
        await stack.gql(
          `mutation($d: ID!) { setSparsifySchedule(storageDomainId: $d, schedule: { cron: "*/2 * * * * *", ` +
            "maxConcurrent: 2 }) { cron maxConcurrent enabled } }",
          { d: domainId },
        ),
      ).setSparsifySchedule;
      expect(schedule).toEqual({ cron: "*/2 * * * * *", maxConcurrent: 2, enabled: true });
      const run = await waitFor(
        async () =>
          ok<any>(await stack.gql(`{ events(filter: { types: ["SCHEDULE_RUN"] }) { edges { node { data } } } }`)).events.edges.at(
            -1,
          )?.node.data,
        { timeout: 30_000, what: "a scheduled run" },
      );
      ok(await stack.gql(`mutation($d: ID!) { removeSparsifySchedule(storageDomainId: $d) }`, { d: domainId }));

      expect(run.started).toHaveLength(1);
      expect(run.skipped.map((s: any) => s.alias)).toEqual(["busy"]);
      expect(run.skipped[0].blockers.map((b: any) => b.code)).toEqual(["VM_NOT_DOWN"]);
      const skippedEvent = ok<any>(
        await stack.gql(
          `query($d: ID!) { events(filter: { diskId: $d, types: ["SCHEDULE_DISK_SKIPPED"] }) { edges { node { message actor } } } }`,
          { d: disk.get("busy").id },
        ),
      ).events.edges[0].node;
      expect(skippedEvent.message).toMatch(/busy-vm, which is UP/);

      const jobId = run.started[0];
      const last = (await followJob(client, jobId).done).at(-1);
      expect(last).toMatchObject({ state: "SUCCEEDED", outcome: "RECLAIMED", disk: { id: disk.get("big").id } });
      const job = ok<any>(
        await stack.gql(`query($j: ID!) { sparsifyJob(id: $j) { trigger requestedBy } }`, { j: jobId }),
      ).sparsifyJob;
      expect(job).toEqual({ trigger: "SCHEDULE", requestedBy: "schedule:sched" });
      // Only one job ever: every later tick found the disk busy or no longer worth it.
      const jobs = ok<any>(await stack.gql(`{ sparsifyJobs { edges { node { disk { alias } } } } }`)).sparsifyJobs.edges;
      expect(jobs.map((e: any) => e.node.disk.alias)).toEqual(["big"]);

      // The estimate is refreshed after the job: nothing left to reclaim.
      await waitFor(async () => (await loadDisks(), disk.get("big").reclaimableEstimate < 10 * MiB), {
        timeout: 60_000,
        what: "the refreshed estimate",
      });
      expect(disk.get("big").needsSparsify).toBe(false);
      const totals = ok<any>(await stack.gql(`{ reclaimedTotals(groupBy: DISK) { label reclaimedBytes } }`)).reclaimedTotals;
      expect(totals[0].label).toBe("big");
      expect(totals[0].reclaimedBytes).toBe(last.reclaimedBytes);
    }, 120_000);
  },
);
