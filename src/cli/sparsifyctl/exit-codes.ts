/**
 * sparsifyctl's exit codes: scripts branch on them, so they are part of its contract.
 * A refusal (the gateway said no before anything ran) is told apart from a job that ran and failed.
 */
export enum ExitCode {
  /** Everything asked for succeeded (with --wait: every job SUCCEEDED). */
  OK = 0,
  /** A job ran and did not succeed (FAILED or CANCELLED). */
  JOB_FAILED = 1,
  /** Bad command line, unknown or ambiguous disk, unreadable config. */
  USAGE = 2,
  /** The gateway refused: a disk is blocked, the token may not do it, or it is unknown/expired. */
  REFUSED = 3,
  /** The gateway could not be reached. */
  UNREACHABLE = 4,
  /** Ctrl-C while waiting: detached, the jobs go on (128 + SIGINT, as shells report it). */
  DETACHED = 130,
}

/** An error that ends the command with a message in words and a specific exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

/** The worst of several outcomes decides the exit code: unreachable, then refused, then failed. */
export function worstExitCode(codes: ExitCode[]): ExitCode {
  const order = [ExitCode.UNREACHABLE, ExitCode.USAGE, ExitCode.REFUSED, ExitCode.JOB_FAILED];
  return order.find((c) => codes.includes(c)) ?? ExitCode.OK;
}
