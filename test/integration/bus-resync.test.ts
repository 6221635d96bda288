/**
 * The gateway's bus subscriber lost its connection (a Redis restart, a Sentinel failover): a job
 * that ended meanwhile must still end for the clients that follow it. Its end was published while
 * the subscriber was away, so the gateway reads the followed jobs again once it is back.
 */
import { randomUUID } from "node:crypto";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRedis } from "../support/redis-server.js";
import { requireTools } from "../support/require-tool.js";
import { startStack, type Stack } from "../support/stack.js";
import { followJob, wsClient } from "../support/ws.js";

describe.runIf(requireTools("redis-server", "redis-cli"))("job subscriptions across a bus reconnect", () => {
  let redis: TestRedis;
  let stack: Stack;

  beforeAll(async () => {
    redis = await TestRedis.start();
    stack = await startStack({ worker: false, env: { REDIS_URL: redis.url } });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  /**
   * A RUNNING job on a locked disk, written straight to PostgreSQL (no worker here). Its host
   * heartbeats for the next hour: the reconciler (its first pass may still be under way) leaves it be.
   */
  async function runningJob(): Promise<string> {
    const host = `h-${randomUUID().slice(0, 8)}`;
    await stack.db.query(`INSERT INTO host (name, "heartbeatAt", concurrency) VALUES ($1, now() + interval '1 hour', 1)`, [host]);
    const [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ($1, $2) RETURNING id`, [
      `d-${randomUUID().slice(0, 8)}`,
      `${stack.root}/${randomUUID()}`,
    ]);
    const [{ id: diskId }] = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, status) VALUES ($1, 'a', 'QCOW2', 'LOCKED') RETURNING id`,
      [domainId],
    );
    const id = randomUUID();
    await stack.db.query(
      `INSERT INTO sparsify_job (id, "diskId", "storageDomainId", "requestedBy", state, phase, progress, attempts, "startedAt", host)
       VALUES ($1, $2, $3, 'test', 'RUNNING', 'TRIMMING', 60, 1, now(), $4)`,
      [id, diskId, domainId, host],
    );
    return id;
  }

  it("a job that ended while the subscriber was away reaches its followers once the bus is back; unchanged ones send nothing", async () => {
    const [ended, unchanged] = [await runningJob(), await runningJob()];
    const client = wsClient(stack.wsUrl, stack.token);
    try {
      const endedFollowed = followJob(client, ended);
      const unchangedFollowed = followJob(client, unchanged);
      await expect.poll(() => endedFollowed.states.length + unchangedFollowed.states.length).toBe(2);

      // The end is written, and its bus message lost: the gateway's subscriber is cut off by Redis.
      await stack.db.query(
        `UPDATE sparsify_job SET state = 'SUCCEEDED', phase = 'DONE', progress = 100, "finishedAt" = now() WHERE id = $1`,
        [ended],
      );
      await execa("redis-cli", ["-p", String(redis.port), "client", "kill", "type", "pubsub"]);

      const states = await Promise.race([
        endedFollowed.done,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the end never reached the subscriber")), 15_000)),
      ]);
      expect(states.map((s: any) => s.state)).toEqual(["RUNNING", "SUCCEEDED"]);
      expect(unchangedFollowed.states.map((s: any) => [s.state, s.progress])).toEqual([["RUNNING", 60]]);

      // Live messages flow again after the reconnect.
      await stack.gateway.services.sparsify.store.announce({
        ...(await stack.gateway.services.sparsify.store.get(unchanged))!,
        progress: 70,
      });
      await expect.poll(() => unchangedFollowed.states.map((s: any) => s.progress)).toEqual([60, 70]);
      unchangedFollowed.stop();
    } finally {
      await client.dispose();
    }
  }, 60_000);
});
