import { Router } from "express";
import type { Config } from "../config.js";
import { bytesReclaimed, jobDuration, jobsByState, queueDepth, reclaimableBytes, registry, workersOnline } from "../metrics.js";
import type { GatewayServices } from "../resolvers/context.js";
import { authenticate } from "./security/authenticate.js";
import type { RateLimits } from "./security/rate-limits.js";

/**
 * GET /metrics (Prometheus). Not public in production: a Bearer token of any role is needed
 * unless METRICS_PUBLIC=true (default only in development).
 */
export function metricsRoute(config: Config, services: GatewayServices, rateLimits?: RateLimits): Router {
  const router = Router();
  const isPublic = config.METRICS_PUBLIC ?? config.NODE_ENV !== "production";
  // Finished jobs are folded into the histogram/counter once each, by finish time.
  let seenUntil = new Date(0);

  const collect = async () => {
    const { db, queues } = services;
    jobsByState.reset();
    for (const r of await db.query(`SELECT state, count(*)::int AS n FROM sparsify_job GROUP BY state`))
      jobsByState.set({ state: r.state }, r.n);
    const finished: { state: string; secs: number; reclaimed: string | null; finishedAt: Date }[] = await db.query(
      `SELECT state, EXTRACT(EPOCH FROM ("finishedAt" - COALESCE("startedAt", "createdAt")))::float AS secs,
              CASE WHEN state = 'SUCCEEDED' THEN ("actualSizeBefore" - "actualSizeAfter")::text END AS reclaimed, "finishedAt"
         FROM sparsify_job WHERE "finishedAt" > $1 ORDER BY "finishedAt"`,
      [seenUntil],
    );
    for (const j of finished) {
      jobDuration.observe({ state: j.state }, j.secs);
      if (j.reclaimed && Number(j.reclaimed) > 0) bytesReclaimed.inc(Number(j.reclaimed));
      seenUntil = j.finishedAt;
    }
    const [{ n }] = await db.query(
      `SELECT count(*)::int AS n FROM host WHERE "heartbeatAt" > now() - ($1 || ' milliseconds')::interval`,
      [String(config.HOST_OFFLINE_AFTER_MS)],
    );
    workersOnline.set(n);
    queueDepth.reset();
    reclaimableBytes.reset();
    const domains: { id: string; name: string; total: string }[] = await db.query(
      `SELECT sd.id, sd.name, COALESCE(sum(d."reclaimableEstimate"), 0)::text AS total FROM ` +
        `storage_domain sd LEFT JOIN disk d ON d."storageDomainId" = sd.id GROUP BY sd.id, sd.name`,
    );
    for (const d of domains) {
      reclaimableBytes.set({ storage_domain: d.name }, Number(d.total));
      const counts = await queues.get(d.id).getJobCounts("wait", "delayed", "active");
      for (const [state, count] of Object.entries(counts)) queueDepth.set({ storage_domain: d.name, state }, count);
    }
  };

  router.get("/metrics", async (req, res) => {
    if (!isPublic) {
      const auth = await authenticate(
        config,
        services.tokens,
        req.headers.authorization,
        rateLimits && { limits: rateLimits, address: req.ip ?? "?" },
      );
      if (auth.principal === null && auth.reason === "rate-limited")
        return void res.status(429).type("text").send(`Too many failed authentications; retry in ${auth.retryAfterSeconds} s\n`);
      if (!auth.principal) return void res.status(401).type("text").send("A Bearer token is required for /metrics\n");
    }
    try {
      await collect();
      res.type(registry.contentType).send(await registry.metrics());
    } catch (error) {
      res
        .status(503)
        .type("text")
        .send(`metrics unavailable: ${(error as Error).message}\n`);
    }
  });
  return router;
}
