import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { DataSource } from "typeorm";
import { SparsifyOutcome } from "../src/domain/sparsify-outcome.js";
import { JobState } from "../src/entities/enums.js";
import type { SparsifyJob } from "../src/entities/index.js";
import type { JobStore } from "../src/services/job-store.js";

/** The rows a running job needs: its storage domain, its disk and the live host that runs it. */
export interface JobFixture {
  domainId: string;
  diskId: string;
  host: string;
}

const ACTUAL_SIZE_BEFORE = 4 * 2 ** 30;
const ACTUAL_SIZE_AFTER = 3 * 2 ** 30;

/**
 * Seeds one domain, one disk and one host whose heartbeat stays fresh as long as
 * HOST_OFFLINE_AFTER_MS is long: the gateway's reconciler must not end our RUNNING jobs as lost.
 */
export async function seedJobFixture(db: DataSource): Promise<JobFixture> {
  const host = "bench-fanout-host";
  const [{ id: domainId }] = await db.query(
    `INSERT INTO storage_domain (name, path) VALUES ('fanout', '/tmp/bench-fanout') RETURNING id`,
  );
  const [{ id: diskId }] = await db.query(
    `INSERT INTO disk ("storageDomainId", alias, format, "virtualSize", "actualSize") VALUES ($1, ` +
      "'fanout-disk', 'QCOW2', 10737418240, $2) RETURNING id",
    [domainId, ACTUAL_SIZE_BEFORE],
  );
  await db.query(
    `INSERT INTO host (name, "heartbeatAt", "storageDomainIds", concurrency) VALUES ($1, now(), ARRAY[$2::uuid], 1)`,
    [host, domainId],
  );
  return { domainId, diskId, host };
}

/** A job that a worker has just started: RUNNING at 0 %, disk locked, as the processor leaves it. */
export async function startRunningJob(db: DataSource, store: JobStore, f: JobFixture): Promise<SparsifyJob> {
  const id = randomUUID();
  await db.transaction(async (em) => {
    await em.query(
      `INSERT INTO sparsify_job (id, "diskId", "storageDomainId", state, phase, progress, host, "actualSizeBefore", attempts,
        "requestedBy", "startedAt")
       VALUES ($1, $2, $3, 'RUNNING', 'TRIMMING', 0, $4, $5, 1, 'bench', now())`,
      [id, f.diskId, f.domainId, f.host, ACTUAL_SIZE_BEFORE],
    );
    await em.query(`UPDATE disk SET status = 'LOCKED' WHERE id = $1`, [f.diskId]);
  });
  return (await store.get(id))!;
}

/** Progress of the i-th of `events` updates: strictly increasing, below 100 (the end's value). */
const progressAt = (i: number, events: number) => Math.round((i * 90) / events);

/** Every state a subscriber must see, in order: the current state, each update, the end. */
export function expectedStates(events: number): string[] {
  return ["RUNNING:0", ...Array.from({ length: events }, (_, i) => `RUNNING:${progressAt(i + 1, events)}`), "SUCCEEDED:100"];
}

/** The key a delivered job is checked and timed by. */
export const stateKey = (job: { state: string; progress: number }) => `${job.state}:${job.progress}`;

/**
 * What a worker does while virt-sparsify runs, the real way (PostgreSQL, then the Redis bus):
 * `events` progress updates `intervalMs` apart on a fixed schedule, then the job SUCCEEDED.
 * @returns when each update's (and the end's) bus message had been published (`performance.now()`)
 */
export async function runJob(store: JobStore, id: string, events: number, intervalMs: number): Promise<number[]> {
  const published: number[] = [];
  const t0 = performance.now();
  const at = (i: number) => sleep(Math.max(0, t0 + i * intervalMs - performance.now()));
  for (let i = 1; i <= events; i++) {
    await at(i);
    if (!(await store.patchActive(id, { progress: progressAt(i, events) })))
      throw new Error(`job ${id} stopped being active at update ${i}`);
    published.push(performance.now());
  }
  await at(events + 1);
  const ended = await store.finish(id, {
    state: JobState.SUCCEEDED,
    outcome: SparsifyOutcome.RECLAIMED,
    outcomeMessage: "Reclaimed 1.0 GiB",
    actualSizeAfter: ACTUAL_SIZE_AFTER,
    actor: "bench",
  });
  if (!ended) throw new Error(`job ${id} had already ended before the bench finished it`);
  published.push(performance.now());
  return published;
}
