import { runProbe } from "../run-probe.js";
import { sandboxArgv, type ParserLimits } from "./sandbox-argv.js";
import { sandboxPlan } from "./sandbox-plan.js";

/** Why a sandboxed parser gave no usable output. */
export type UntrustedFailure = "FAILED" | "TIMED_OUT" | "OUTPUT_TOO_LARGE";

/** A sandboxed parser failed; `message` carries the end of its stderr. */
export class UntrustedRunError extends Error {
  override readonly name = "UntrustedRunError";
  constructor(
    readonly failure: UntrustedFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Options for {@link runUntrusted}. */
export interface UntrustedRunOptions {
  /** Aborting kills the parser at once (SIGKILL): it holds nothing worth a graceful stop. */
  signal?: AbortSignal;
  /**
   * Largest stdout accepted; more is treated as an attack and the parser is killed.
   * @default 33554432 (32 MiB: dumpe2fs of a badly fragmented 16 GiB filesystem is < 1 MiB)
   */
  maxOutputBytes?: number;
  /** Lower limits than the defaults (tests use them to see a limit bite quickly). */
  limits?: Partial<ParserLimits>;
}

const SAFE_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" };
/** Without a caller's signal (tests, tools): a day, as good as none, but never forever. */
const UNBOUNDED_MS = 24 * 3600 * 1000;

/**
 * Runs a parser of untrusted guest data (dumpe2fs…) in the sandbox of {@link sandboxArgv}, with
 * an empty environment (no E2FSPROGS_* or locale surprises), cwd `/`, no stdin, bounded output
 * and the caller's deadline. Resolves with stdout.
 * @throws {UntrustedRunError}
 * @throws {EstimateUnavailableError} SANDBOX_*: the sandbox cannot be built here, nothing ran.
 */
export async function runUntrusted(command: readonly string[], opts: UntrustedRunOptions = {}): Promise<string> {
  const plan = await sandboxPlan();
  const [file, ...args] = sandboxArgv(command, opts.limits ? { ...plan, limits: opts.limits } : plan);
  // The plain spawn runner (run-probe.ts): one of these per filesystem after every job.
  const result = await runProbe(file!, args, {
    reject: false,
    env: SAFE_ENV,
    // The caller's signal is the deadline; this one only bounds a caller that gave none.
    timeoutMs: UNBOUNDED_MS,
    maxBuffer: { stdout: opts.maxOutputBytes ?? 32 * 1024 * 1024, stderr: 64 * 1024 },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const stderr = String(result.stderr ?? "")
    .trim()
    .slice(-500);
  if (result.isCanceled || result.timedOut) throw new UntrustedRunError("TIMED_OUT", `${command[0]} was stopped at the deadline`);
  if (result.isMaxBuffer) throw new UntrustedRunError("OUTPUT_TOO_LARGE", `${command[0]} printed more than allowed`);
  if (result.exitCode !== 0) {
    throw new UntrustedRunError(
      "FAILED",
      `${command[0]} failed (${result.exitCode ?? result.signal ?? result.shortMessage}): ${stderr}`,
    );
  }
  return String(result.stdout);
}
