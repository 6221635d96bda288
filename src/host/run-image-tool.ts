import type { Options } from "execa";
import { childEnv } from "./child-env.js";
import { OWN_SESSION } from "./own-session.js";
import { runProbe } from "./run-probe.js";
import { toolCommand, toolPath } from "./tools.js";

/** qemu programs that open an image (a hostile header decides how much work they do). */
export type ImageTool = "qemu-img" | "qemu-io" | "qemu-storage-daemon";

/** Resource limits of one qemu tool on an untrusted image. */
export interface ImageToolLimits {
  /** RLIMIT_AS: a header claiming a huge table cannot make qemu allocate it. */
  addressSpaceBytes: number;
  /** RLIMIT_CPU (seconds): a loop in a hostile image ends even if the wall clock is generous. */
  cpuSeconds: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
}

/** Defaults sized for qemu 7: `qemu-img check` of a 16 GiB qcow2 maps < 200 MiB, threads reserve the rest. */
export const DEFAULT_IMAGE_TOOL_LIMITS: ImageToolLimits = { addressSpaceBytes: 4 * 1024 ** 3, cpuSeconds: 120, openFiles: 1024 };

let defaults = { timeoutMs: 60_000, limits: DEFAULT_IMAGE_TOOL_LIMITS };

/** Set once at worker start from QEMU_TOOL_TIMEOUT_MS. */
export function configureImageTools(opts: { timeoutMs?: number; limits?: Partial<ImageToolLimits> }): void {
  defaults = { timeoutMs: opts.timeoutMs ?? defaults.timeoutMs, limits: { ...defaults.limits, ...opts.limits } };
}

export const imageToolTimeoutMs = () => defaults.timeoutMs;

/**
 * `prlimit --as --cpu --nofile --core=0 -- <tool> args`. prlimit (util-linux) is required: a qemu
 * tool on an untrusted image is never run unbounded. Pure.
 */
export function imageToolArgv(
  tool: string,
  args: readonly string[],
  prlimit: string,
  limits: ImageToolLimits,
  wrapper: readonly string[] = [],
): string[] {
  return [
    prlimit,
    `--as=${limits.addressSpaceBytes}`,
    `--cpu=${limits.cpuSeconds}`,
    `--nofile=${limits.openFiles}`,
    "--core=0",
    "--",
    ...wrapper,
    tool,
    ...args,
  ];
}

/** A qemu tool exceeded its wall-clock limit (hung storage, a FIFO, a hostile header) and was killed. */
export class ImageToolTimeoutError extends Error {
  override readonly name = "ImageToolTimeoutError";
}

/** Options for {@link imageToolCommand} and {@link runImageTool}. */
export interface ImageToolOptions {
  /** @default the configured QEMU_TOOL_TIMEOUT_MS */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Largest stdout/stderr kept. @default 16 MiB */
  maxBuffer?: number;
  input?: string;
  /** argv run between prlimit and the tool (e.g. `setpriv --pdeathsig=TERM --`). */
  wrapper?: readonly string[];
  /** Limits above the configured ones, for a long-lived tool (DIRECT's daemon reads whole disks). */
  limits?: Partial<ImageToolLimits>;
}

/** The command and bounds of one qemu tool run: prlimit argv, deadline, allow-listed env, output cap. */
function boundedCommand(tool: ImageTool, args: readonly string[], opts: ImageToolOptions) {
  const prlimit = toolPath("prlimit");
  if (!prlimit)
    throw new Error("prlimit (util-linux) is not installed: refusing to run qemu tools on images without resource limits");
  const [file, ...argv] = imageToolArgv(toolCommand(tool), args, prlimit, { ...defaults.limits, ...opts.limits }, opts.wrapper);
  return {
    file: file!,
    args: argv,
    env: childEnv({ LC_ALL: "C" }),
    timeoutMs: opts.timeoutMs ?? defaults.timeoutMs,
    maxBuffer: opts.maxBuffer ?? 16 * 1024 * 1024,
  };
}

/** The file, argv and execa options that run a qemu tool bounded (for the long-lived daemons run with execa). */
export function imageToolCommand(
  tool: ImageTool,
  args: readonly string[],
  opts: ImageToolOptions = {},
): { file: string; args: string[]; options: Options } {
  const { file, args: argv, env, timeoutMs, maxBuffer } = boundedCommand(tool, args, opts);
  return {
    file,
    args: argv,
    options: {
      reject: false,
      // Its own session: a Ctrl-C or a systemd stop meant for the service does not reach it.
      ...OWN_SESSION,
      ...(opts.input !== undefined ? { input: opts.input } : { stdin: "ignore" as const }),
      extendEnv: false,
      env,
      cwd: "/",
      timeout: timeoutMs,
      killSignal: "SIGKILL",
      maxBuffer,
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    },
  };
}

/**
 * Runs `qemu-img` / `qemu-io` on an image with a timeout and resource limits, outside any
 * database transaction (callers must not hold one). Never rejects for the tool's own failure.
 * @throws {ImageToolTimeoutError} when the deadline killed it.
 */
export async function runImageTool(tool: ImageTool, args: readonly string[], opts: ImageToolOptions = {}) {
  const { file, args: argv, env, timeoutMs, maxBuffer } = boundedCommand(tool, args, opts);
  // A short bounded child: the plain spawn runner (run-probe.ts), in a session of its own as above.
  const result = await runProbe(file, argv, {
    timeoutMs,
    env,
    maxBuffer,
    reject: false,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (result.timedOut)
    throw new ImageToolTimeoutError(
      `${tool} did not answer within ${timeoutMs} ms (hung storage or a hostile image); it was killed`,
    );
  return {
    exitCode: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
    shortMessage: result.shortMessage,
    isCanceled: result.isCanceled,
    isMaxBuffer: result.isMaxBuffer,
    signal: result.signal,
  };
}
