import fs from "node:fs/promises";
import path from "node:path";
import { pino } from "pino";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway } from "../../src/server/gateway.js";
import { makeExt4Image } from "../support/images.js";
import { maintenanceApplied } from "../support/maintenance.js";
import { TestRedis } from "../support/redis-server.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { followJob, wsClient } from "../support/ws.js";

/**
 * Redis restarted mid-job, Redis emptied with jobs queued, and the gateway restarted mid-job:
 * jobs end in the right state, nothing stays locked, subscribers see the end. Uses a
 * redis-server of its own on a spare port; at most one virt-sparsify at a time.
 */
describe.runIf(requireTools("virt-sparsify", "qemu-img", "mke2fs", "debugfs", "redis-server", "qemu-storage-daemon", "qemu-io"))(
  "surviving Redis and gateway restarts",
  () => {
    let redis: TestRedis;
    let stack: Stack;
    let client: Client;
    let dir: string;
    const disks = new Map<string, string>();

    const request = async (alias: string) =>
      ok<any>(await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: disks.get(alias) })).sparsifyDisk
        .id as string;
    const diskState = async (alias: string) =>
      ok<any>(await stack.gql(`query($d: ID!) { disk(id: $d) { status sparsifiable } }`, { d: disks.get(alias) })).disk;

    beforeAll(async () => {
      redis = await TestRedis.start();
      stack = await startStack({ env: { REDIS_URL: redis.url } });
      client = wsClient(stack.wsUrl, stack.token);
      dir = path.join(stack.root, "faults");
      // b's test is about the queue, not the appliance: its disk lives in a DIRECT domain (seconds, no virt-sparsify).
      const direct = path.join(stack.root, "faults-direct");
      await Promise.all([fs.mkdir(dir), fs.mkdir(direct)]);
      await Promise.all(
        [path.join(dir, "a.qcow2"), path.join(direct, "b.qcow2"), path.join(dir, "c.qcow2")].map((file) =>
          makeExt4Image(file, { format: "qcow2", deletedMiB: 60 }),
        ),
      );
      const addDomain = async (name: string, p: string) =>
        ok<any>(
          await stack.gql(`mutation($n: String!, $p: String!) { addStorageDomain(input: { name: $n, path: $p }) { id } }`, {
            n: name,
            p,
          }),
        ).addStorageDomain.id as string;
      const domains = [await addDomain("faults", dir), await addDomain("faults-direct", direct)];
      ok(
        await stack.gql(`mutation($d: ID!) { setSparsifyMethod(storageDomainId: $d, method: DIRECT, verify: FULL) { id } }`, {
          d: domains[1],
        }),
      );
      for (const id of domains) ok(await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id }));
      for (const e of ok<any>(await stack.gql(`{ disks { edges { node { id alias } } } }`)).disks.edges)
        disks.set(e.node.alias, e.node.id);
    }, 120_000);

    afterAll(async () => {
      await client?.dispose();
      await stack?.close();
      await redis?.stop();
    });

    it("Redis restarted during a RUNNING job: gateway and worker reconnect, the job ends right, subscribers see it", async () => {
      const id = await request("a");
      const followed = followJob(client, id);
      await expect.poll(() => followed.states.some((s) => s.state === "RUNNING"), { timeout: 30_000, interval: 100 }).toBe(true);
      await redis.restart(true, 1_000);
      const last = (await followed.done).at(-1);
      expect(last, `ended with ${JSON.stringify(last.error)}`).toMatchObject({ state: "SUCCEEDED", outcome: "RECLAIMED" });
      expect(await diskState("a")).toEqual({ status: "OK", sparsifiable: true });
    }, 120_000);

    it("Redis emptied while jobs are QUEUED: the reconciler queues them again and they run", async () => {
      const [host] = ok<any>(await stack.gql(`{ hosts { id } }`)).hosts;
      ok(await stack.gql(`mutation($h: ID!) { setHostMaintenance(id: $h, on: true) { maintenance } }`, { h: host.id }));
      await maintenanceApplied(stack);
      const id = await request("b");
      await new Promise((r) => setTimeout(r, 1_000));
      expect(ok<any>(await stack.gql(`query($j: ID!) { sparsifyJob(id: $j) { state } }`, { j: id })).sparsifyJob.state).toBe(
        "QUEUED",
      );

      await redis.restart(false);
      ok(await stack.gql(`mutation($h: ID!) { setHostMaintenance(id: $h, on: false) { maintenance } }`, { h: host.id }));
      const last = (await followJob(client, id).done).at(-1);
      expect(last).toMatchObject({ state: "SUCCEEDED", outcome: "RECLAIMED" });
      const { sparsifyJob } = ok<any>(await stack.gql(`query($j: ID!) { sparsifyJob(id: $j) { methodUsed } }`, { j: id }));
      expect(sparsifyJob.methodUsed).toBe("DIRECT");
      const events = ok<any>(
        await stack.gql(`query($j: ID!) { events(filter: { jobId: $j }) { edges { node { type actor } } } }`, { j: id }),
      );
      expect(events.events.edges.map((e: any) => e.node.type)).toContain("JOB_REQUEUED");
      expect(await diskState("b")).toEqual({ status: "OK", sparsifiable: true });
    }, 120_000);

    it("the gateway restarted during a job: a client that subscribes again gets the current state first", async () => {
      const id = await request("c");
      const followed = followJob(client, id);
      await expect
        .poll(() => followed.states.find((s) => s.phase === "LAUNCHING"), { timeout: 30_000, interval: 100 })
        .toBeTruthy();
      const port = stack.gateway.port;
      await client.dispose();
      await stack.gateway.close();
      const fresh = await startGateway({ ...stack.config, PORT: port }, stack.db, pino({ level: "silent" }));
      try {
        client = wsClient(stack.wsUrl, stack.token);
        const again = followJob(client, id);
        const states = await again.done;
        expect(states[0].state).toBe("RUNNING");
        expect(states[0].progress).toBeGreaterThan(0);
        expect(states.at(-1)).toMatchObject({ state: "SUCCEEDED", outcome: "RECLAIMED" });
        stack.gateway = fresh;
      } catch (error) {
        await fresh.close();
        throw error;
      }
      expect(await diskState("c")).toEqual({ status: "OK", sparsifiable: true });
    }, 120_000);
  },
);
