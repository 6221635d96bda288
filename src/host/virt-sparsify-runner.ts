import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { execa } from "execa";
import { childEnv } from "./child-env.js";
import { dieWithService, OWN_SESSION } from "./own-session.js";
import { toolCommand } from "./tools.js";
import type { ImageFormat } from "./image-format.js";
import { ROOT_SOCKDIR_PARENT, SockdirTracker } from "./libguestfs-sockdirs.js";
import { processRef, processTreeWatcher, reapProcesses, socketInodes, stillAlive, type ProcessRef } from "./process-tree.js";
import { parseSparsifyLine, type OutputStream, type SparsifyOutputEvent } from "./virt-sparsify-output.js";

/** Options for {@link runVirtSparsify}. */
export interface SparsifyRunOptions {
  /** The image, sparsified in place. */
  path: string;
  /** Always passed as `--format`, so the image's format is never probed (docs/virt-sparsify.md §9.5). */
  format: ImageFormat;
  /** Aborting sends SIGTERM, then SIGKILL after {@link killGraceMs}. */
  signal?: AbortSignal;
  /** Wall-clock limit; on expiry the run is stopped like a cancel. */
  timeoutMs: number;
  /**
   * Value for LIBGUESTFS_BACKEND_SETTINGS, e.g. `"force_tcg"` where /dev/kvm exists but KVM
   * cannot run (see `defaultBackendSettings`). When unset the variable is removed from the
   * child's environment, so the option is the single source of truth.
   */
  backendSettings?: string;
  /**
   * LIBGUESTFS_CACHEDIR. Must stay fixed across runs: otherwise the per-run TMPDIR also moves
   * the 660 MiB appliance cache and every run rebuilds it (docs/virt-sparsify.md §9.9).
   * @default "/var/tmp"
   */
  cacheDir?: string;
  /** Where the per-run TMPDIR is created. @default os.tmpdir() */
  tmpRoot?: string;
  /**
   * Delay between SIGTERM and SIGKILL. virt-sparsify only honours SIGTERM between libguestfs
   * calls, up to ~11 s late during launch (docs/virt-sparsify.md §5).
   * @default 15000
   */
  killGraceMs?: number;
  /**
   * Aborting stops the run at once: SIGTERM, then SIGKILL after {@link HURRY_KILL_MS} (a worker
   * handing its job back). The image stays consistent, as when a worker dies (pdeathsig).
   */
  hurry?: AbortSignal;
  /** Called for every output line, in arrival order. Exceptions are rethrown after cleanup. */
  onEvent?: (event: SparsifyOutputEvent) => void;
}

/** Outcome of one virt-sparsify process. A failed run is a result, not an exception. */
export interface SparsifyRunResult {
  /** `null` when the process was killed by a signal or could not be started. */
  exitCode: number | null;
  /** Signal that ended the process (e.g. `SIGKILL` after the grace period). */
  signal?: string;
  cancelled: boolean;
  timedOut: boolean;
  /** Devices reported as trimmed, deduplicated, in order. Empty ⇒ nothing was sparsified. */
  trimmedDevices: string[];
  swapCleared: string[];
  /** The "completed with no errors" message was seen. */
  completed: boolean;
  /** virt-sparsify's error (full JSON text when available), or why it could not start. */
  errorMessage?: string;
  /** Last lines of stderr, for logs and diagnosis. */
  stderrTail: string;
  durationMs: number;
  /** libguestfs socket dirs left in /tmp by this run that were removed. */
  removedSockdirs: string[];
  /**
   * Processes of the run still alive after it was stopped and SIGKILLed (virt-sparsify, qemu…):
   * stuck in uninterruptible sleep on hung storage, from where they may still write the image.
   */
  survivors: ProcessRef[];
}

const STDERR_TAIL_LINES = 40;
const HURRY_KILL_MS = 2_000;
const WATCH_INTERVAL_MS = 500;
/** libguestfs' recovery process stops an orphaned qemu within ~2.6 s (docs/virt-sparsify.md §5). */
const QEMU_REAP_GRACE_MS = 5_000;
/**
 * A stopped run whose process has not exited this long after SIGKILL is stuck in the kernel
 * (hung storage): stop waiting for it and report it among the survivors.
 */
const ABANDON_AFTER_KILL_MS = 5_000;
/**
 * Time a SIGKILLed process gets to disappear before it counts as a survivor (a loaded host takes
 * a while to tear down a 600 MB qemu).
 */
const SURVIVOR_CHECK_MS = 3_000;
/**
 * Worst time from a `hurry` abort to every process of the run being gone, when none is stuck in
 * the kernel: SIGTERM, SIGKILL after HURRY_KILL_MS, its qemu reaped (SIGKILL) after
 * QEMU_REAP_GRACE_MS, and a second for the kernel to tear a 600 MB qemu down. Fencing relies on it.
 */
export const RUN_STOP_BUDGET_MS = HURRY_KILL_MS + QEMU_REAP_GRACE_MS + 1_000;

/** Resolves `afterMs` after the run was told to stop (abort or timeout); never otherwise. */
function whenAbandoned(
  signal: AbortSignal | undefined,
  timeoutMs: number,
  afterMs: number,
): { promise: Promise<"abandoned">; clear: () => void } {
  const timers: NodeJS.Timeout[] = [];
  const promise = new Promise<"abandoned">((resolve) => {
    const start = () => timers.push(setTimeout(() => resolve("abandoned"), afterMs));
    if (signal?.aborted) start();
    else signal?.addEventListener("abort", start, { once: true });
    timers.push(setTimeout(start, timeoutMs));
  });
  return { promise, clear: () => timers.forEach(clearTimeout) };
}

function buildCommand(path: string, format: ImageFormat): [string, string[]] {
  const sparsify = ["--in-place", "--format", format, "--machine-readable=stream:stderr", path];
  // pdeathsig: if this worker is SIGKILLed, virt-sparsify dies too instead of running on.
  return dieWithService(toolCommand("virt-sparsify"), sparsify, "KILL");
}

function lines(stream: Readable | null, onLine: (line: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  reader.on("line", onLine);
  return new Promise((resolve) => reader.once("close", resolve));
}

/**
 * Runs `virt-sparsify --in-place` on one image and always cleans up after it: the process is
 * waited for (and its qemu child reaped), the per-run TMPDIR and the run's /tmp/libguestfs*
 * socket directory are removed. Never rejects because the tool failed; see
 * {@link SparsifyRunResult} and `diagnoseFailure`.
 */
export async function runVirtSparsify(opts: SparsifyRunOptions): Promise<SparsifyRunResult> {
  const started = Date.now();
  const runTmp = await mkdtemp(join(opts.tmpRoot ?? tmpdir(), "sparsify-"));
  const isRoot = process.geteuid?.() === 0;
  // Non-root libguestfs puts its sockets in XDG_RUNTIME_DIR: point it into the per-run dir.
  const sockdirs = isRoot ? await SockdirTracker.start(ROOT_SOCKDIR_PARENT) : undefined;
  const trimmed: string[] = [];
  const swap: string[] = [];
  const tail: string[] = [];
  let completed = false;
  let errorMessage: string | undefined;
  let callbackError: unknown;
  const seen = new Map<number, ProcessRef>();

  const handle = (line: string, stream: OutputStream) => {
    if (stream === "stderr") {
      tail.push(line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
    }
    const event = parseSparsifyLine(line, stream);
    if (event.kind === "trimming" && !trimmed.includes(event.device)) trimmed.push(event.device);
    if (event.kind === "swap-cleared" && !swap.includes(event.device)) swap.push(event.device);
    if (event.kind === "completed") completed = true;
    // The JSON copy carries the whole multi-line message; the text copy only its first line.
    if (event.kind === "error" && (errorMessage === undefined || event.source === "json")) {
      errorMessage = event.message;
    }
    try {
      opts.onEvent?.(event);
    } catch (error) {
      callbackError ??= error;
    }
  };

  try {
    const [file, args] = buildCommand(opts.path, opts.format);
    const subprocess = execa(file, args, {
      // Allow-listed: the worker's DATABASE_URL & co. never reach virt-sparsify or its qemu.
      extendEnv: false,
      env: childEnv({
        LIBGUESTFS_BACKEND: "direct",
        LIBGUESTFS_BACKEND_SETTINGS: opts.backendSettings,
        LIBGUESTFS_CACHEDIR: opts.cacheDir ?? "/var/tmp",
        TMPDIR: runTmp,
        ...(isRoot ? {} : { XDG_RUNTIME_DIR: runTmp }),
      }),
      stdin: "ignore",
      // A session of its own: a Ctrl-C on the terminal (or systemd's stop of the whole cgroup)
      // reaches the service only, which drains or hands the job back; pdeathsig still kills the
      // tool if the service dies.
      ...OWN_SESSION,
      buffer: false,
      reject: false,
      cancelSignal: opts.signal,
      timeout: opts.timeoutMs,
      killSignal: "SIGTERM",
      forceKillAfterDelay: opts.killGraceMs ?? 15_000,
    });

    const hurry = () => {
      subprocess.kill("SIGTERM");
      setTimeout(() => subprocess.kill("SIGKILL"), HURRY_KILL_MS).unref();
    };
    // Aborted while the run was being set up: an abort event already fired reaches no listener.
    if (opts.hurry?.aborted) hurry();
    else opts.hurry?.addEventListener("abort", hurry, { once: true });

    // Watch the process tree: remember qemu & co. to reap them, and attribute socket dirs.
    let watching = Promise.resolve();
    let lookAtTree: (() => Promise<ProcessRef[]>) | undefined;
    const watch = () => {
      const pid = subprocess.pid;
      if (pid === undefined) return;
      watching = watching.then(async () => {
        const tree = await (lookAtTree ??= processTreeWatcher(pid))();
        for (const p of tree) if (p.pid !== pid) seen.set(p.pid, p);
        // Every open fd of the tree and /proc/net/unix are read only until our socket dir is found (a run makes
        // one), and only while a new one is there: other runs' dirs on the host must not keep us reading.
        if (!sockdirs || sockdirs.attributedCount > 0 || !(await sockdirs.hasUnattributed())) return;
        const inodes = new Set((await Promise.all(tree.map((p) => socketInodes(p.pid)))).flat());
        await sockdirs?.attribute(inodes);
      });
    };
    const timer = setInterval(watch, WATCH_INTERVAL_MS);
    setTimeout(watch, 100).unref();
    // Its own stat file names the root: scanning every /proc entry for it cost ~15–35 ms of CPU per run.
    const root = subprocess.pid === undefined ? Promise.resolve(undefined) : processRef(subprocess.pid);

    const grace = opts.killGraceMs ?? 15_000;
    const abandon = whenAbandoned(opts.signal, opts.timeoutMs, grace + ABANDON_AFTER_KILL_MS);
    const ran = Promise.all([
      subprocess,
      lines(subprocess.stdout, (l) => handle(l, "stdout")),
      lines(subprocess.stderr, (l) => handle(l, "stderr")),
    ]);
    ran.catch(() => undefined);
    const first = await Promise.race([ran, abandon.promise]);
    abandon.clear();
    clearInterval(timer);
    await watching.catch(() => undefined);
    const rootRef = await root.catch(() => undefined);
    const refs = [...seen.values(), ...(first === "abandoned" && rootRef ? [rootRef] : [])];
    await reapProcesses(refs, QEMU_REAP_GRACE_MS);
    const survivors = await stillAlive(refs, SURVIVOR_CHECK_MS);
    const removedSockdirs = (await sockdirs?.cleanup()) ?? [];
    // Stuck in the kernel past SIGKILL: report it as killed, and the process as a survivor.
    const result =
      first === "abandoned"
        ? {
            exitCode: undefined,
            signal: "SIGKILL",
            isCanceled: opts.signal?.aborted ?? false,
            timedOut: !opts.signal?.aborted,
            shortMessage: "did not exit after SIGKILL",
          }
        : first[0];

    if (result.exitCode === undefined && result.signal === undefined) {
      errorMessage ??= `virt-sparsify could not be started: ${result.shortMessage ?? "unknown error"}`;
    }
    if (callbackError !== undefined) throw callbackError;
    return {
      exitCode: result.exitCode ?? null,
      ...(result.signal ? { signal: result.signal } : {}),
      cancelled: result.isCanceled,
      timedOut: result.timedOut,
      trimmedDevices: trimmed,
      swapCleared: swap,
      completed,
      ...(errorMessage !== undefined ? { errorMessage } : {}),
      stderrTail: tail.join("\n"),
      durationMs: Date.now() - started,
      removedSockdirs,
      survivors,
    };
  } finally {
    await rm(runTmp, { recursive: true, force: true });
  }
}
