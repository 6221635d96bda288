import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import { Redis } from "ioredis";
import { freePort } from "./redis-server.js";

const MASTER_NAME = "sparsify-test";
const QUIET = { reject: false, stdio: "ignore" } as const;

interface Proc {
  port: number;
  proc: ResultPromise;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => (s.end(), resolve(true)));
    s.on("error", () => resolve(false));
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`sentinel cluster: ${what} within ${timeoutMs} ms`);
}

/**
 * A Redis primary, one replica and three sentinels (`redis-server --sentinel`) on free loopback
 * ports, as a fleet runs them: quorum 2, `down-after-milliseconds` 1000 and a short failover
 * timeout so a dead primary is replaced in seconds. Nothing persists; {@link stop} kills it all.
 */
export class SentinelCluster {
  readonly masterName = MASTER_NAME;
  private readonly servers: Proc[] = [];
  private readonly sentinels: Proc[] = [];

  private constructor(private readonly dir: string) {}

  static async start(): Promise<SentinelCluster> {
    const cluster = new SentinelCluster(await fs.mkdtemp(path.join(os.tmpdir(), "test-sentinel-")));
    try {
      const primary = await cluster.startServer([]);
      await cluster.startServer(["--replicaof", "127.0.0.1", String(primary.port)]);
      const replica = cluster.servers[1]!.port;
      await waitUntil("the replica in sync", async () =>
        /master_link_status:up/.test(await cluster.info(replica, "replication")),
      );
      for (let i = 0; i < 3; i++) await cluster.startSentinel(primary.port, i);
      // Ready when every sentinel knows the replica and the other sentinels (gossip via hello).
      await waitUntil("the sentinels see each other and the replica", async () => {
        for (const s of cluster.sentinels) {
          const [master] = (await cluster.ask(s.port, ["sentinel", "masters"])) as string[][];
          const fields = Object.fromEntries(pairs(master ?? []));
          if (fields["num-other-sentinels"] !== "2" || fields["num-slaves"] !== "1") return false;
        }
        return true;
      });
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** REDIS_URL for the service: every sentinel, then the group name. */
  get url(): string {
    return `redis+sentinel://${this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")}/${this.masterName}`;
  }

  get sentinelPorts(): number[] {
    return this.sentinels.map((s) => s.port);
  }

  /** The port the sentinels now name as primary. */
  async primaryPort(): Promise<number> {
    const [, port] = (await this.ask(this.sentinels[0]!.port, [
      "sentinel",
      "get-master-addr-by-name",
      this.masterName,
    ])) as string[];
    return Number(port);
  }

  /** The other server: the replica while `primaryPort` is the primary. */
  replicaPort(primaryPort: number): number {
    return this.servers.find((s) => s.port !== primaryPort)!.port;
  }

  /** The server on `port` as a plain client (for the test's own reads). */
  client(port: number): Redis {
    return new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  }

  /** SIGKILLs the current primary: no goodbye to its replica, its unreplicated writes die with it. */
  async killPrimary(): Promise<number> {
    const port = await this.primaryPort();
    const server = this.servers.find((s) => s.port === port)!;
    server.proc.kill("SIGKILL");
    await server.proc;
    return port;
  }

  /** `SENTINEL FAILOVER`: the primary is demoted to a replica and stays up, answering READONLY. */
  async failover(): Promise<number> {
    const port = await this.primaryPort();
    await this.ask(this.sentinels[0]!.port, ["sentinel", "failover", this.masterName]);
    return port;
  }

  /** Brings a killed server back on its port as a replica of the primary, and waits till it is usable. */
  async restartAsReplica(port: number): Promise<void> {
    const primary = await this.primaryPort();
    const index = this.servers.findIndex((s) => s.port === port);
    const previous = this.servers[index]!.proc;
    if (previous.exitCode === null && previous.signalCode === null) return; // never killed: nothing to bring back
    this.servers[index] = {
      port,
      proc: execa("redis-server", this.serverArgs(port, ["--replicaof", "127.0.0.1", String(primary)]), QUIET),
    };
    await waitUntil(`redis-server on ${port} back`, () => listening(port));
    await waitUntil("the returning replica in sync", async () =>
      /master_link_status:up/.test(await this.info(port, "replication")),
    );
    // Every sentinel must see it healthy again, or SENTINEL FAILOVER finds no replica to promote.
    await waitUntil(
      "the sentinels see the replica again",
      async () => {
        for (const s of this.sentinels) {
          const replicas = (await this.ask(s.port, ["sentinel", "replicas", this.masterName])) as string[][];
          const mine = replicas.map((r) => Object.fromEntries(pairs(r))).find((r) => r.port === String(port));
          if (!mine || /s_down|disconnected/.test(mine.flags ?? "")) return false;
        }
        return true;
      },
      30_000,
    );
  }

  /** Resolves once the sentinels name a primary other than `oldPort` and it answers as one. */
  async waitForFailover(oldPort: number, timeoutMs = 30_000): Promise<number> {
    await waitUntil(
      "a replica promoted",
      async () => {
        const port = await this.primaryPort();
        return port !== oldPort && /role:master/.test(await this.info(port, "replication"));
      },
      timeoutMs,
    );
    return this.primaryPort();
  }

  async stop(): Promise<void> {
    for (const p of [...this.sentinels, ...this.servers]) p.proc.kill("SIGKILL");
    await Promise.all([...this.sentinels, ...this.servers].map((p) => p.proc));
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  async info(port: number, section: string): Promise<string> {
    return String(await this.ask(port, ["info", section]));
  }

  async ask(port: number, command: string[]): Promise<unknown> {
    const c = this.client(port);
    try {
      await c.connect();
      return await c.call(command[0]!, ...command.slice(1));
    } finally {
      c.disconnect();
    }
  }

  private async startServer(extra: string[]): Promise<Proc> {
    const port = await freePort();
    const p = { port, proc: execa("redis-server", this.serverArgs(port, extra), QUIET) };
    this.servers.push(p);
    await waitUntil(`redis-server on ${port} listening`, () => listening(port));
    return p;
  }

  /**
   * No persistence: a restarted server starts empty and syncs from the primary. A full sync starts at
   * once: Redis 7 otherwise waits `repl-diskless-sync-delay` (5 s) for more replicas, and there is one.
   */
  private serverArgs(port: number, extra: string[]): string[] {
    const noSyncDelay = ["--repl-diskless-sync-delay", "0"];
    const noPersistence = ["--save", "", "--appendonly", "no", "--dir", this.dir];
    return ["--port", String(port), "--bind", "127.0.0.1", ...noPersistence, ...noSyncDelay, ...extra];
  }

  private async startSentinel(primaryPort: number, i: number): Promise<void> {
    const port = await freePort();
    // Sentinel rewrites its configuration file: each needs one of its own.
    const file = path.join(this.dir, `sentinel-${i}.conf`);
    await fs.writeFile(
      file,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${this.dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 3000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
        "",
      ].join("\n"),
    );
    const p = { port, proc: execa("redis-server", [file, "--sentinel"], QUIET) };
    this.sentinels.push(p);
    await waitUntil(`sentinel on ${port} listening`, () => listening(port));
  }
}

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
