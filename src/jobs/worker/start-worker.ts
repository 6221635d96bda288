import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../../config.js";
import { defaultBackendSettings, detectCapabilities } from "../../host/host-capabilities.js";
import { ensureParserUser } from "../../host/parser-user.js";
import { configureImageTools } from "../../host/run-image-tool.js";
import { assertImageToolsPresent, resolveHostTools } from "../../host/tools.js";
import { EventBus } from "../queue/event-bus.js";
import { defaultConcurrency } from "./host-registration.js";
import { HostSlots } from "./host-slots.js";
import { HostWorker } from "./host-worker.js";
import { QueueRegistry } from "../queue/queue-registry.js";
import { createRedis } from "../queue/redis.js";
import { SparsifyProcessor } from "./sparsify.processor.js";
import { ImageClaims } from "./image-claims.js";
import { shareClaimsOnHost } from "./host-claims.js";

export interface RunningWorker {
  worker: HostWorker;
  close(force?: boolean): Promise<void>;
  /** Running sparsify jobs go back to the queue now (see HostWorker.handBack). */
  handBack(): void;
  /**
   * Resolves when the background work that ended jobs set off (their estimate refresh) is done:
   * what a run costs includes it.
   */
  settled(): Promise<void>;
}

/** Wires a host worker: capabilities, Redis, bus, the processors. */
export async function startHostWorker(config: Config, db: DataSource, log: Logger): Promise<RunningWorker> {
  // Tool paths are fixed now: a PATH change or a program planted later is never run.
  const missingTools = resolveHostTools();
  assertImageToolsPresent(missingTools);
  if (missingTools.length) log.warn({ missingTools }, "host tools not found");
  configureImageTools({ timeoutMs: config.QEMU_TOOL_TIMEOUT_MS });
  const caps = await detectCapabilities({ cacheDir: config.LIBGUESTFS_CACHEDIR });
  const backendSettings =
    config.LIBGUESTFS_BACKEND_SETTINGS === "auto"
      ? defaultBackendSettings(caps)
      : config.LIBGUESTFS_BACKEND_SETTINGS || undefined;
  // As root the estimator's parsers run as a dedicated user; without it estimates are refused.
  if (process.geteuid?.() === 0) await ensureParserUser(log);
  if (!caps.virtSparsifyVersion)
    log.warn("virt-sparsify is not installed on this host: sparsify jobs will fail (see README: host tools)");
  const connection = createRedis(config.REDIS_URL, `worker-${config.HOST_NAME}`);
  const subscriber = createRedis(config.REDIS_URL, `worker-${config.HOST_NAME}-sub`);
  for (const r of [connection, subscriber]) r.on("error", (e) => log.warn({ err: e.message }, "redis connection error"));
  const bus = new EventBus(connection, subscriber, config.QUEUE_PREFIX);
  await bus.start();
  const concurrency = config.WORKER_CONCURRENCY ?? defaultConcurrency();
  const queues = new QueueRegistry(connection, config.QUEUE_PREFIX);
  const slots = new HostSlots(connection, HostSlots.key(config.QUEUE_PREFIX, config.HOST_NAME, "appliance"), concurrency);
  const directSlots = new HostSlots(
    connection,
    HostSlots.key(config.QUEUE_PREFIX, config.HOST_NAME, "direct"),
    config.DIRECT_CONCURRENCY,
  );
  // One per process: the estimates and the runs of this worker share it (image-claims.ts).
  const claims = new ImageClaims();
  shareClaimsOnHost(claims, bus, config.HOST_NAME, log);
  const processor = new SparsifyProcessor({
    claims,
    config,
    db,
    bus,
    log,
    hostName: config.HOST_NAME,
    backendSettings,
    applianceSlots: slots,
  });
  const worker = new HostWorker({
    claims,
    config,
    db,
    bus,
    connection,
    queues,
    log,
    facts: {
      name: config.HOST_NAME,
      concurrency,
      virtSparsifyVersion: caps.virtSparsifyVersion,
      qemuVersion: caps.qemuImgVersion,
      accel: caps.accel,
      applianceReady: caps.applianceReady,
    },
    sparsify: (job, signal, fence, budget) => processor.process(job, signal, fence, budget),
    slots,
    directSlots,
  });
  await worker.start();
  log.info(
    { host: config.HOST_NAME, concurrency, accel: caps.accel, backendSettings, domains: worker.domainIds().length },
    "host worker started",
  );
  return {
    worker,
    handBack: () => worker.handBack(),
    settled: () => processor.estimates.idle(),
    async close(force = false) {
      await worker.stop(force);
      // The estimate refreshes after the last jobs still use the database: let them end first.
      if (!force) await processor.estimates.idle();
      await queues.close();
      await bus.close();
      connection.disconnect();
      subscriber.disconnect();
    },
  };
}
