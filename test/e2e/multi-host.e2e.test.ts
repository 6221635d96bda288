import fs from "node:fs/promises";
import path from "node:path";
import type { ResultPromise } from "execa";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planFence } from "../../src/domain/fence-timing.js";
import { RUN_STOP_BUDGET_MS } from "../../src/host/virt-sparsify-runner.js";
import { e2fsckClean, makeExt4Image, sha256InImage } from "../support/images.js";
import { NetnsHost } from "../support/netns.js";
import { freePort } from "../support/redis-server.js";
import { requireTools } from "../support/require-tool.js";
import { findProcesses, isAlive } from "../support/service-process.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { waitFor } from "../support/wait-for.js";
import { spawnWorker } from "../support/worker-process.js";
import { followJob, wsClient } from "../support/ws.js";

/** A host worker in its own network namespace, reaching PostgreSQL and Redis only through its veth. */
interface NsWorker {
  name: string;
  net: NetnsHost;
  proc: ResultPromise;
  log: () => string;
}

/**
 * Two host workers as separate processes, each in its own network namespace with its own storage
 * roots: host-a sees the "shared" and "solo" domains, host-b only "shared". PostgreSQL and Redis
 * listen on 127.0.0.1, so the test forwards them from each veth's root-side address. Cutting a
 * host's link (inside its namespace) is a real partition: its TCP connections go silent.
 */
describe.runIf(requireTools("virt-sparsify", "qemu-img", "mke2fs", "debugfs", "e2fsck", "ip"))(
  "several hosts, each in its own network namespace",
  () => {
    let stack: Stack;
    let client: Client;
    let nets: NetnsHost[] = [];
    const proxies: TcpProxy[] = [];
    const workers = new Map<string, NsWorker>();
    const images: Record<string, { file: string; keep: string; diskId: string }> = {};
    const domains: Record<string, string> = {};

    const gql = async (query: string, variables?: Record<string, unknown>) => ok<any>(await stack.gql(query, variables));
    const hosts = async () => (await gql(`{ hosts { id name online maintenance storageDomainIds } }`)).hosts as any[];
    const hostId = async (name: string) => (await hosts()).find((h) => h.name === name)!.id as string;
    const sparsify = async (diskId: string) =>
      (await gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId })).sparsifyDisk.id as string;
    const events = async (jobId: string) =>
      (await stack.db.query(`SELECT type, "createdAt", data FROM event WHERE "jobId" = $1 ORDER BY id`, [jobId])) as {
        type: string;
        createdAt: Date;
        data: any;
      }[];

    /** Sets maintenance and waits until the worker itself says it applied it (not just the row). */
    async function maintenance(name: string, on: boolean): Promise<void> {
      const w = workers.get(name)!;
      const before = w.log().length;
      await gql(`mutation($h: ID!, $on: Boolean!) { setHostMaintenance(id: $h, on: $on) { maintenance } }`, {
        h: await hostId(name),
        on,
      });
      await waitFor(() => w.log().slice(before).includes(`"maintenance":${on}`), {
        timeout: 20_000,
        what: `${name} to apply maintenance ${on}`,
      });
    }

    async function startWorker(name: string, net: NetnsHost, roots: string[]): Promise<void> {
      const via = async (url: string) => {
        const target = new URL(url);
        const proxy = new TcpProxy(await freePort(), { host: target.hostname, port: Number(target.port) }, net.rootAddress);
        await proxy.up();
        proxies.push(proxy);
        target.hostname = net.rootAddress;
        target.port = String(proxy.port);
        return target.toString();
      };
      const env = {
        DATABASE_URL: await via(stack.config.DATABASE_URL),
        REDIS_URL: (await via(stack.config.REDIS_URL)).replace(/\/$/, ""),
        STORAGE_ROOTS: roots.join(","),
        LOG_LEVEL: "info",
        LIBGUESTFS_BACKEND: "direct",
      };
      const proc = spawnWorker(stack.config, name, env, net.exec);
      let log = "";
      proc.stdout!.on("data", (d: Buffer) => (log += d.toString()));
      proc.stderr!.on("data", (d: Buffer) => (log += d.toString()));
      workers.set(name, { name, net, proc, log: () => log });
    }

    beforeAll(async () => {
      stack = await startStack({ worker: false });
      client = wsClient(stack.wsUrl, stack.token);
      nets = await NetnsHost.createAll(["a", "b"]);
      for (const d of ["shared", "solo"]) await fs.mkdir(path.join(stack.root, d, "disks"), { recursive: true });
      const make = async (domain: string, name: string) => {
        const file = path.join(stack.root, domain, "disks", `${name}.qcow2`);
        images[name] = { file, keep: (await makeExt4Image(file, { format: "qcow2", deletedMiB: 100 })).keepSha256, diskId: "" };
      };
      await Promise.all([make("shared", "y1"), make("shared", "y2"), make("solo", "s1")]);
      await startWorker("host-a", nets[0]!, [path.join(stack.root, "shared"), path.join(stack.root, "solo")]);
      await startWorker("host-b", nets[1]!, [path.join(stack.root, "shared")]);
      await waitFor(async () => (await hosts()).filter((h) => h.online).length === 2, {
        timeout: 90_000,
        what: "both workers online",
      });
      for (const d of ["shared", "solo"]) {
        const p = path.join(stack.root, d, "disks");
        domains[d] = (
          await gql(`mutation($n: String!, $p: String!) { addStorageDomain(input: { name: $n, path: $p }) { id } }`, { n: d, p })
        ).addStorageDomain.id;
      }
      await waitFor(async () => (await gql(`{ disks { totalCount } }`)).disks.totalCount === 3, {
        timeout: 90_000,
        what: "the workers' scans",
      });
      for (const { node } of (await gql(`{ disks { edges { node { id alias } } } }`)).disks.edges)
        images[node.alias.replace(/\.qcow2$/, "")]!.diskId = node.id;
    }, 240_000);

    afterAll(async () => {
      // A failure is explained by the workers' own words.
      if (process.env.MULTI_HOST_LOGS)
        for (const w of workers.values()) await fs.writeFile(path.join(process.env.MULTI_HOST_LOGS, `${w.name}.log`), w.log());
      for (const w of workers.values()) w.proc.kill("SIGKILL");
      await Promise.all([...workers.values()].map((w) => w.proc.catch(() => undefined)));
      for (const p of proxies) await p.down().catch(() => {});
      for (const n of nets) await n.destroy();
      await client?.dispose();
      await stack?.close();
    });

    it("each host serves the domains it sees", async () => {
      const byName = Object.fromEntries((await hosts()).map((h) => [h.name, h]));
      expect(byName["host-a"].storageDomainIds.sort()).toEqual([domains.shared, domains.solo].sort());
      expect(byName["host-b"].storageDomainIds).toEqual([domains.shared]);
    });

    it("drains a host in maintenance while another takes new work; fences a partitioned host, reruns its job once elsewhere", async () => {
      const plan = planFence({ stalledIntervalMs: stack.config.STALLED_INTERVAL_MS, stopBudgetMs: RUN_STOP_BUDGET_MS });
      // y1 on host-b (host-a drained), then host-b drained while it finishes y1: y2 must go to host-a.
      await maintenance("host-a", true);
      const y1 = await sparsify(images.y1!.diskId);
      const followY1 = followJob(client, y1);
      await expect
        .poll(() => followY1.states.find((s) => s.phase === "LAUNCHING")?.host, { timeout: 60_000, interval: 200 })
        .toBe("host-b");
      await maintenance("host-b", true);
      await maintenance("host-a", false);
      const y2 = await sparsify(images.y2!.diskId);
      const followY2 = followJob(client, y2);
      await expect
        .poll(() => followY2.states.find((s) => s.phase === "LAUNCHING")?.host, { timeout: 60_000, interval: 200 })
        .toBe("host-a");
      const runOnA = await waitFor(
        async () => {
          const procs = await findProcesses("virt-sparsify", images.y2!.file);
          return procs.length ? procs : undefined;
        },
        { timeout: 60_000, interval: 100, what: "host-a's virt-sparsify on y2" },
      );

      // Cut host-a's link mid-job and watch its run die.
      const cutAt = Date.now();
      await workers.get("host-a")!.net.linkDown();
      let goneAt = 0;
      await waitFor(
        async () => {
          const left = [...(runOnA ?? []), ...(await findProcesses(images.y2!.file))].map((p) => p.pid);
          const alive = await Promise.all(left.map((pid) => isAlive(pid)));
          if (alive.some(Boolean)) return false;
          goneAt = Date.now();
          return true;
        },
        { timeout: plan.takeoverAfterMs + 30_000, interval: 100, what: "host-a's fenced run to stop" },
      );
      // The fence fired on its own (no renewal for fenceAfterMs), then the run stopped within its budget.
      expect(goneAt - cutAt).toBeGreaterThanOrEqual(plan.fenceAfterMs - plan.renewEveryMs);
      expect(goneAt - cutAt).toBeLessThan(plan.takeoverAfterMs + 5_000);

      // host-b drained: y1 finished there as its only attempt, and host-b took nothing new meanwhile.
      const y1States = await followY1.done;
      expect(y1States.at(-1)).toMatchObject({ state: "SUCCEEDED", host: "host-b", attempts: 1 });
      await maintenance("host-b", false);

      // host-b recovers y2 as attempt 2, after host-a's run was gone.
      const y2States = await followY2.done;
      expect(y2States.at(-1)).toMatchObject({ state: "SUCCEEDED", outcome: "RECLAIMED", host: "host-b", attempts: 2 });
      const retried = (await events(y2)).filter((e) => e.type === "JOB_RETRIED");
      expect(retried).toHaveLength(1);
      expect(retried[0]!.data).toMatchObject({ attempt: 2, host: "host-b", previousHost: "host-a" });
      expect(new Date(retried[0]!.createdAt).getTime()).toBeGreaterThan(goneAt);
      expect(await sha256InImage(images.y2!.file, "qcow2", "/keep.bin")).toBe(images.y2!.keep);
      expect(await e2fsckClean(images.y2!.file, "qcow2")).toBe(true);

      // host-a comes back: it records that it was fenced, and never runs y2 again.
      let duplicate = false;
      const watch = setInterval(
        () => void findProcesses("virt-sparsify", images.y2!.file).then((p) => (duplicate ||= p.length > 0)),
        200,
      );
      try {
        await workers.get("host-a")!.net.linkUp();
        await waitFor(async () => (await hosts()).find((h) => h.name === "host-a")?.online, {
          timeout: 60_000,
          what: "host-a back online",
        });
        expect(workers.get("host-a")!.log()).toMatch(/sparsify run fenced: its lease lapsed/);

        // Jobs go to a host that sees the domain: "solo" is host-a's alone. It also proves the fenced
        // run freed host-a's only slot without waiting for its stalled PostgreSQL connection.
        const s1 = await sparsify(images.s1!.diskId);
        const s1States = await followJob(client, s1).done;
        expect(s1States.at(-1)).toMatchObject({ state: "SUCCEEDED", host: "host-a", attempts: 1 });

        // The fence's audit record, tried again on fresh connections, lands once PostgreSQL answers.
        await waitFor(async () => (await events(y2)).some((e) => e.type === "JOB_FENCED"), {
          timeout: 60_000,
          interval: 1_000,
          what: "host-a's JOB_FENCED record",
        });
        const fenced = (await events(y2)).filter((e) => e.type === "JOB_FENCED");
        expect(fenced.map((e) => e.data)).toEqual([{ attempt: 1, host: "host-a" }]);
      } finally {
        clearInterval(watch);
      }
      expect(duplicate).toBe(false);
      const y2Row = (await stack.db.query(`SELECT state, attempts, host FROM sparsify_job WHERE id = $1`, [y2]))[0];
      expect(y2Row).toEqual({ state: "SUCCEEDED", attempts: 2, host: "host-b" });
      const y2Types = (await events(y2)).map((e) => e.type);
      expect(y2Types.filter((t) => t === "JOB_SUCCEEDED")).toHaveLength(1);
      expect(y2Types.filter((t) => t === "JOB_STARTED" || t === "JOB_RETRIED")).toHaveLength(2);
    }, 600_000);
  },
);
