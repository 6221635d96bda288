import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { RunningWorker } from "./jobs/worker/start-worker.js";
import type { Gateway } from "./server/gateway.js";

/** Options for {@link installShutdown}. */
export interface ShutdownDeps {
  log: Logger;
  gateway: Gateway | null;
  worker: RunningWorker | null;
  db: DataSource;
  /** How long running jobs may take to finish before they are handed back (WORKER_SHUTDOWN_GRACE_MS). */
  drainMs: number;
}

/**
 * Ctrl-C on a terminal reaches the service and npm alike, and npm forwards its copy: a signal this
 * close to the one before is the same request, not the next one.
 */
export const REPEAT_WINDOW_MS = 1_000;
/** Handing back takes seconds (SIGTERM, SIGKILL after 2 s, reaping qemu); past this we just exit. */
export const HAND_BACK_LIMIT_MS = 30_000;

/**
 * SIGINT / SIGTERM handling shared by every mode:
 * 1. the first signal stops taking work and drains: the gateway closes (WebSockets get 1001),
 *    running jobs finish within `drainMs`, then any still running are handed back to the queue;
 * 2. a second signal hands running jobs back at once (they run again elsewhere or after restart);
 * 3. a third exits immediately.
 * A job is never ended by a stop: it either finishes or goes back to its queue.
 */
export function installShutdown(d: ShutdownDeps): void {
  let signals = 0;
  let lastAt = 0;
  let handBackRequested: () => void = () => {};
  const handBack = new Promise<void>((resolve) => (handBackRequested = resolve));

  const drain = async (signal: string) => {
    d.log.info(
      { signal, drainMs: d.drainMs },
      d.worker ? "stopping: running jobs may finish (a second Ctrl-C hands them back at once)" : "stopping",
    );
    await d.gateway?.close().catch((e: Error) => d.log.warn({ err: e.message }, "gateway close failed"));
    if (d.worker) {
      const closing = d.worker.close(false).then(() => true);
      const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), d.drainMs).unref());
      const finished = await Promise.race([closing, timer, handBack.then(() => false as const)]).catch(() => false);
      if (finished) d.log.info("worker drained");
      else {
        d.log.warn("running jobs handed back to the queue, to run again");
        d.worker.handBack();
        const limit = new Promise<false>((resolve) => setTimeout(() => resolve(false), HAND_BACK_LIMIT_MS).unref());
        await Promise.race([closing, limit]).catch(() => false);
      }
    }
    await d.db.destroy().catch(() => {});
    process.exit(0);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (signals > 0 && now - lastAt < REPEAT_WINDOW_MS) return;
    signals += 1;
    lastAt = now;
    if (signals === 1) {
      void drain(signal);
    } else if (signals === 2) {
      d.log.warn({ signal }, "second signal: handing running jobs back now");
      handBackRequested();
    } else {
      d.log.warn({ signal }, "third signal: exiting now");
      process.exit(1);
    }
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
