/**
 * bench:bulk — one `sparsifyDisks` mutation over 1,000 disks (HTTP request → response: every disk
 * checked, locked, its job created and queued), against a raw script doing the same durable work:
 * one transaction (lock the disks, insert the jobs, mark the disks LOCKED) plus one BullMQ
 * `addBulk`. Alternating rounds on the same PostgreSQL and Redis, state reset between rounds (not
 * timed). Target: p50 gateway/raw ≤ 2×.
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import pg from "pg";
import { createRedis } from "../src/jobs/queue/redis.js";
import { ok, startStack } from "../test/support/stack.js";
import { ms, percentile, timeIt } from "./stats.js";

const DISKS = Number(process.env.BENCH_DISKS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const WARMUP = 2;

const stack = await startStack({ worker: false, env: { BULK_SPARSIFY_MAX_DISKS: String(DISKS), LOG_LEVEL: "silent" } });
const client = new pg.Client({ connectionString: stack.databaseUrl });
await client.connect();
const redis = createRedis(stack.config.REDIS_URL, "bench-bulk");
try {
  const [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('bulk', $1) RETURNING id`, [
    `${stack.root}/bulk`,
  ]);
  const ids: string[] = (
    await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable, "actualSize") SELECT $1, ` +
        "'disk-' || lpad(g::text, 5, '0'), 'QCOW2', true, 1000 + g FROM generate_series(1, $2) g " +
        "RETURNING id",
      [domainId, DISKS],
    )
  ).map((r: { id: string }) => r.id);
  const gatewayQueue = stack.gateway.services.queues.get(domainId);
  const rawQueue = new Queue(`bench-raw-${randomUUID()}`, { connection: redis, prefix: stack.config.QUEUE_PREFIX });

  const reset = async () => {
    await client.query(
      `DELETE FROM event; DELETE FROM sparsify_job; UPDATE disk SET status = 'OK', sparsifiable = true, blockers = '[]', warnings = '[]'`,
    );
    await gatewayQueue.obliterate({ force: true });
    await rawQueue.obliterate({ force: true });
  };

  const gateway = async () => {
    const { sparsifyDisks } = ok<any>(
      await stack.gql(`mutation($input: SparsifyDisksInput!) { sparsifyDisks(input: $input) { diskId job { id } } }`, {
        input: { diskIds: ids },
      }),
    );
    if (sparsifyDisks.filter((r: any) => r.job).length !== DISKS) throw new Error("not every disk was accepted");
  };

  const raw = async () => {
    const jobs = ids.map((diskId) => ({ id: randomUUID(), diskId }));
    await client.query("BEGIN");
    await client.query(`SELECT id FROM disk WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [ids]);
    await client.query(
      `INSERT INTO sparsify_job (id, "diskId", "storageDomainId", "requestedBy", trigger) SELECT j.id, ` +
        "j.disk, $3, 'bench', 'USER' FROM unnest($1::uuid[], $2::uuid[]) AS j(id, disk)",
      [jobs.map((j) => j.id), jobs.map((j) => j.diskId), domainId],
    );
    await client.query(`UPDATE disk SET status = 'LOCKED', sparsifiable = false WHERE id = ANY($1::uuid[])`, [ids]);
    await client.query("COMMIT");
    await rawQueue.addBulk(
      jobs.map((j) => ({
        name: "sparsify",
        data: { jobId: j.id, diskId: j.diskId, storageDomainId: domainId },
        opts: { jobId: j.id },
      })),
    );
  };

  const samples = { gateway: [] as number[], raw: [] as number[] };
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    for (const [side, fn] of [
      ["gateway", gateway],
      ["raw", raw],
    ] as const) {
      await reset();
      const t = await timeIt(fn);
      if (round >= WARMUP) samples[side].push(t);
    }
  }
  const p50 = { gateway: percentile(samples.gateway, 50), raw: percentile(samples.raw, 50) };
  console.log(`bench:bulk — ${DISKS} disks per request, ${ROUNDS} rounds each side (after ${WARMUP} warm-up), alternating`);
  console.log(
    `  gateway sparsifyDisks  p50 ${ms(p50.gateway)}  p90 ${ms(percentile(samples.gateway, 90))}  ` +
      `(${(p50.gateway / DISKS).toFixed(3)} ms/disk)`,
  );
  console.log(`  raw SQL + addBulk      p50 ${ms(p50.raw)}  p90 ${ms(percentile(samples.raw, 90))}`);
  const ratio = p50.gateway / p50.raw;
  console.log(`  ratio p50 gateway/raw: ${ratio.toFixed(2)}× (target ≤ 2×) ${ratio <= 2 ? "MET" : "NOT MET"}`);
  await rawQueue.obliterate({ force: true });
  await rawQueue.close();
} finally {
  await client.end();
  redis.disconnect();
  await stack.close();
}
