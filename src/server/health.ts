import { Router } from "express";
import type { Redis } from "ioredis";
import type { DataSource } from "typeorm";

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** /healthz: the process is alive. /readyz: PostgreSQL and Redis answer (for load balancers). */
export function healthRoutes(db: DataSource, redis: Redis): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  router.get("/readyz", async (_req, res) => {
    const check = async (name: string, probe: () => Promise<unknown>) => {
      try {
        await withTimeout(probe(), 2_000);
        return [name, "ok"] as const;
      } catch (error) {
        return [name, `unreachable: ${(error as Error).message}`] as const;
      }
    };
    const results = Object.fromEntries(
      await Promise.all([check("postgres", () => db.query("SELECT 1")), check("redis", () => redis.ping())]),
    );
    const ready = Object.values(results).every((v) => v === "ok");
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", ...results });
  });
  return router;
}
