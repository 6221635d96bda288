import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics of a gateway process. Job numbers are read from PostgreSQL at scrape time
 * (the truth, shared by every replica); the subscription gauge is this process's own.
 */
export const registry = new Registry();

export const activeSubscriptions = new Gauge({
  name: "sparsify_subscriptions_active",
  help: "GraphQL subscriptions currently open on this gateway",
  registers: [registry],
});

/** Shared executions: one per distinct subscription (document, variables, role) per event, however many sockets have it. */
export const subscriptionExecutions = new Counter({
  name: "sparsify_subscription_executions_total",
  help: "Subscription results executed (once per distinct subscription per event)",
  registers: [registry],
});

export const framesCoalesced = new Counter({
  name: "sparsify_subscription_frames_coalesced_total",
  help: "Progress frames a slow socket skipped for a newer one",
  registers: [registry],
});

export const jobsByState = new Gauge({
  name: "sparsify_jobs",
  help: "Sparsify jobs by state",
  labelNames: ["state"],
  registers: [registry],
});

export const jobDuration = new Histogram({
  name: "sparsify_job_duration_seconds",
  help: "Wall time of finished sparsify jobs, start to end",
  labelNames: ["state"],
  buckets: [1, 5, 10, 15, 20, 30, 60, 120, 300, 900, 1800],
  registers: [registry],
});

export const bytesReclaimed = new Counter({
  name: "sparsify_bytes_reclaimed_total",
  help: "Bytes reclaimed by succeeded jobs",
  registers: [registry],
});

export const queueDepth = new Gauge({
  name: "sparsify_queue_depth",
  help: "BullMQ jobs waiting, delayed or active, per storage domain queue",
  labelNames: ["storage_domain", "state"],
  registers: [registry],
});

export const workersOnline = new Gauge({
  name: "sparsify_workers_online",
  help: "Host workers with a recent heartbeat",
  registers: [registry],
});

export const reclaimableBytes = new Gauge({
  name: "sparsify_reclaimable_bytes",
  help: "Sum of reclaimable estimates per storage domain",
  labelNames: ["storage_domain"],
  registers: [registry],
});
