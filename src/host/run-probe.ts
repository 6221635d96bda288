import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { dieWithService, OWN_SESSION } from "./own-session.js";

/** Options for {@link runProbe}. */
export interface ProbeOptions {
  /** Wall-clock limit: the child is SIGKILLed at it (hung storage, a hostile input). */
  timeoutMs: number;
  /** The child's whole environment (nothing of the worker's is added: see childEnv). */
  env: Record<string, string>;
  /** @default "/" */
  cwd?: string;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  /** Largest stdout and stderr kept (one figure for each, or one per stream); more kills the child. @default 16 MiB */
  maxBuffer?: number | { stdout: number; stderr: number };
  /** Aborting it SIGKILLs the child. */
  signal?: AbortSignal;
  /** Throw {@link ProbeFailedError} unless the child exited 0. @default true */
  reject?: boolean;
}

/** What a child did. `exitCode` is undefined when it was killed or could not be started. */
export interface ProbeResult {
  exitCode: number | undefined;
  signal: NodeJS.Signals | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  isCanceled: boolean;
  isMaxBuffer: boolean;
  /** One line saying what happened, for messages. */
  shortMessage: string;
}

/** A child that did not exit 0 (non-zero, killed, timed out or not started), with what it did. */
export class ProbeFailedError extends Error {
  override readonly name = "ProbeFailedError";
  constructor(readonly result: ProbeResult) {
    super(result.shortMessage);
  }
}

/**
 * A killed child normally exits at once; one stuck in the kernel on hung storage may never exit,
 * and the caller must still get its answer. Waited this long after SIGKILL, then left.
 */
const KILL_WAIT_MS = 1_000;
const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;

/**
 * Runs one short, bounded child (a stat, a qemu-img probe) with plain `child_process.spawn`: an
 * exact argv (no shell), an exact environment, a deadline and bounded output. execa stays for
 * virt-sparsify and the long-lived daemons; for these probes its option handling and stream
 * plumbing cost ~1.5 ms more of the worker's CPU per child, spent synchronously on the event loop
 * that also delivers the gateway's subscriptions. Every child runs in a session of its own and
 * dies with the service (own-session.ts).
 * @throws {ProbeFailedError} with `reject` (the default) unless the child exited 0.
 */
export async function runProbe(file: string, args: readonly string[], opts: ProbeOptions): Promise<ProbeResult> {
  const result = await run(file, args, opts);
  if ((opts.reject ?? true) && result.exitCode !== 0) throw new ProbeFailedError(result);
  return result;
}

async function run(file: string, args: readonly string[], opts: ProbeOptions): Promise<ProbeResult> {
  const cmd = [file, ...args].join(" ").slice(0, 200);
  if (opts.signal?.aborted) return ended(cmd, { isCanceled: true });
  // A session of its own (a Ctrl-C meant for the service does not reach it), and dies with the service.
  const [command, argv] = dieWithService(file, args);
  const child = spawn(command, argv, {
    ...OWN_SESSION,
    stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    env: opts.env,
    cwd: opts.cwd ?? "/",
    shell: false,
  });
  let stop: "timedOut" | "isCanceled" | "isMaxBuffer" | undefined;
  let killedAt: (() => void) | undefined;
  const killed = new Promise<void>((resolve) => (killedAt = resolve));
  const kill = (why: NonNullable<typeof stop>) => {
    if (stop) return;
    stop = why;
    child.kill("SIGKILL");
    killedAt!();
  };
  const limit = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
  const [outLimit, errLimit] = typeof limit === "number" ? [limit, limit] : [limit.stdout, limit.stderr];
  const [out, err] = [
    collect(child.stdout, outLimit, () => kill("isMaxBuffer")),
    collect(child.stderr, errLimit, () => kill("isMaxBuffer")),
  ];
  if (opts.input !== undefined) {
    child.stdin?.on("error", () => undefined); // EPIPE: the child did not read it all
    child.stdin?.end(opts.input);
  }
  const timer = setTimeout(() => kill("timedOut"), opts.timeoutMs);
  const onAbort = () => kill("isCanceled");
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  // After a kill, wait for the exit a bounded time only (see KILL_WAIT_MS).
  const leftBehind = killed.then(() => new Promise<"left">((resolve) => setTimeout(() => resolve("left"), KILL_WAIT_MS).unref()));
  const done = await Promise.race([exited, leftBehind]);
  clearTimeout(timer);
  opts.signal?.removeEventListener("abort", onAbort);
  const stdout = out();
  const stderr = err();
  if (done === "left") return ended(cmd, { [stop!]: true, signal: "SIGKILL", stdout, stderr });
  if (done.error) return ended(cmd, { stdout, stderr, message: `${cmd}: could not be started (${done.error.message})` });
  return ended(cmd, {
    ...(stop ? { [stop]: true } : {}),
    exitCode: stop ? undefined : (done.code ?? undefined),
    signal: done.signal ?? undefined,
    stdout,
    stderr,
  });
}

function ended(cmd: string, r: Partial<Omit<ProbeResult, "shortMessage">> & { message?: string }): ProbeResult {
  const result: ProbeResult = {
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    timedOut: r.timedOut ?? false,
    isCanceled: r.isCanceled ?? false,
    isMaxBuffer: r.isMaxBuffer ?? false,
    shortMessage: "",
  };
  result.shortMessage =
    r.message ??
    (result.timedOut
      ? `${cmd}: timed out and was killed`
      : result.isCanceled
        ? `${cmd}: cancelled`
        : result.isMaxBuffer
          ? `${cmd}: printed more than allowed and was killed`
          : result.exitCode === undefined
            ? `${cmd}: killed by ${result.signal ?? "a signal"}`
            : `${cmd}: exit code ${result.exitCode}`);
  return result;
}

/** Keeps up to `limit` bytes of a stream; `over` is called once when more arrives. */
function collect(stream: Readable | null, limit: number, over: () => void): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream?.on("data", (chunk: Buffer) => {
    if (size + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - size));
      size = limit;
      over();
      return;
    }
    chunks.push(chunk);
    size += chunk.length;
  });
  return () => Buffer.concat(chunks).toString("utf8");
}
