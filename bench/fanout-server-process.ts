import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { JobSnapshot } from "../src/jobs/queue/job-snapshot.js";

/** What a server under test reports about itself: memory after an optional GC, CPU spent so far. */
export interface ServerSample {
  rss: number;
  heapUsed: number;
  external: number;
  /** CPU of the server process since it started; system time includes the kernel's loopback TCP work on sends. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
}

export type ToServer =
  | { type: "sample"; gc: boolean }
  /** Bare server only: the job's current state, which a real gateway reads from PostgreSQL. */
  | { type: "current"; job: JobSnapshot }
  | { type: "stop" };

export type FromServer =
  { type: "ready"; wsUrl: string; token: string | null } | { type: "sample"; sample: ServerSample } | { type: "ack" };

const REPLY_TIMEOUT_MS = 60_000;

/**
 * A server under test in a child process of its own, so its memory and CPU are its own and the
 * N clients in the bench process do not share its event loop. Started with --expose-gc so memory
 * is sampled after a full collection.
 */
export class ServerProcess {
  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly wsUrl: string,
    readonly token: string | null,
  ) {}

  /**
   * Forks `dist/bench/<script>.js` with `arg` (JSON) as its argument and waits for "ready".
   * BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each server there when it stops.
   */
  static async start(name: string, script: string, arg: unknown): Promise<ServerProcess> {
    const file = fileURLToPath(new URL(`./${script}.js`, import.meta.url));
    const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const child = fork(file, [JSON.stringify(arg)], {
      execArgv: ["--expose-gc", ...profile],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    try {
      const ready = await reply(child, "ready");
      if (ready.type !== "ready") throw new Error(`unexpected ${ready.type}`);
      return new ServerProcess(name, child, ready.wsUrl, ready.token);
    } catch (error) {
      child.kill("SIGKILL");
      throw new Error(`${name} server did not start: ${(error as Error).message}`);
    }
  }

  async sample(gc: boolean): Promise<ServerSample> {
    this.child.send({ type: "sample", gc } satisfies ToServer);
    const answer = await reply(this.child, "sample");
    if (answer.type !== "sample") throw new Error(`unexpected ${answer.type}`);
    return answer.sample;
  }

  async setCurrent(job: JobSnapshot): Promise<void> {
    this.child.send({ type: "current", job } satisfies ToServer);
    await reply(this.child, "ack");
  }

  /** Asks the server to close cleanly (writing its CPU profile, if any); kills it after 15 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.send({ type: "stop" } satisfies ToServer);
    const stopped = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!stopped) {
      this.child.kill("SIGKILL");
      await exited;
    }
  }
}

/** The child's next message of `type`; rejects if the child exits or stays silent. */
async function reply(child: ChildProcess, type: FromServer["type"]): Promise<FromServer> {
  const timeout = AbortSignal.timeout(REPLY_TIMEOUT_MS);
  // Aborted once answered, so no listener outlives the wait.
  const done = new AbortController();
  const signal = AbortSignal.any([timeout, done.signal]);
  const exited = once(child, "exit", { signal }).then(([code, sig]) => {
    throw new Error(`server process exited (${sig ?? code}) while the bench waited for "${type}"`);
  });
  const answered = (async () => {
    for (;;) {
      const [message] = (await once(child, "message", { signal })) as [FromServer];
      if (message.type === type) return message;
    }
  })();
  try {
    return await Promise.race([answered, exited]);
  } catch (error) {
    if (timeout.aborted) throw new Error(`no "${type}" from the server process within ${REPLY_TIMEOUT_MS / 1000} s`);
    throw error;
  } finally {
    exited.catch(() => {});
    answered.catch(() => {});
    done.abort();
  }
}

/**
 * The child side: answers samples, hands "current" to `onCurrent`, and on "stop" runs `close`
 * then exits. Call after the server listens; it reports "ready" with its address.
 */
export function serveParent(
  ready: { wsUrl: string; token: string | null },
  close: () => Promise<void>,
  onCurrent?: (job: JobSnapshot) => void,
): void {
  const send = (message: FromServer) => process.send!(message);
  process.on("message", async (message: ToServer) => {
    if (message.type === "sample") {
      if (message.gc) await collectGarbage();
      const memory = process.memoryUsage();
      const cpu = process.cpuUsage();
      send({
        type: "sample",
        sample: {
          rss: memory.rss,
          heapUsed: memory.heapUsed,
          external: memory.external,
          cpuUserMicros: cpu.user,
          cpuSystemMicros: cpu.system,
        },
      });
    } else if (message.type === "current") {
      onCurrent?.(message.job);
      send({ type: "ack" });
    } else if (message.type === "stop") {
      await close().catch((e: Error) => console.error(`server close failed: ${e.message}`));
      process.exit(0);
    }
  });
  // The bench process died without stopping us: do not linger.
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", ...ready });
}

/** Two full collections with a turn of the event loop between, so finalisers and weak refs settle. */
async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("start the server process with --expose-gc");
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}
