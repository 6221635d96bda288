import fs from "node:fs";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import type { Config } from "../../src/config.js";

const MAIN = path.resolve("dist/src/main.js");

/**
 * A host worker in its own process (`node dist/src/main.js worker`), as in production.
 * `wrap` runs it under another command (e.g. `setpriv --reuid=…` for a non-root worker).
 */
export function spawnWorker(
  config: Config,
  hostName: string,
  env: Record<string, string> = {},
  wrap: string[] = [],
): ResultPromise {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does it)`);
  const [file, ...args] = [...wrap, process.execPath, MAIN, "worker"];
  return execa(file!, args, {
    reject: false,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      NODE_ENV: "test",
      DATABASE_URL: config.DATABASE_URL,
      REDIS_URL: config.REDIS_URL,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      STORAGE_ROOTS: config.STORAGE_ROOTS.join(","),
      HOST_NAME: hostName,
      HEARTBEAT_INTERVAL_MS: "1000",
      HOST_OFFLINE_AFTER_MS: String(config.HOST_OFFLINE_AFTER_MS),
      STALLED_INTERVAL_MS: String(config.STALLED_INTERVAL_MS),
      DOMAIN_REFRESH_MS: "1000",
      WORKER_CONCURRENCY: "1",
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
      LIBVIRT_URI: "none",
      ...env,
    },
  });
}
