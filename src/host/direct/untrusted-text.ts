import { DirectFallbackReason } from "../../domain/direct-method.js";
import { EstimateUnavailableError } from "../estimate/estimate-unavailable-error.js";
import { runUntrusted, UntrustedRunError } from "../estimate/run-untrusted.js";
import { DirectRefusal } from "./direct-contract.js";

/**
 * Runs a parser of guest metadata (dumpe2fs, xfs_db, xfs_logprint) in the estimator's sandbox
 * and parses its output. A parser that fails on the filesystem, or output that does not parse,
 * means this reader could not read it (FREE_SPACE_READERS_DISAGREE, or `unreadable` when given);
 * a sandbox that cannot be built or a parser stopped at the deadline is a tool failure.
 * @throws {DirectRefusal}
 */
export async function parseUntrusted<T>(
  command: readonly string[],
  parse: (text: string) => T,
  opts: { signal?: AbortSignal; unreadable?: DirectFallbackReason } = {},
): Promise<T> {
  const unreadable = opts.unreadable ?? DirectFallbackReason.FREE_SPACE_READERS_DISAGREE;
  let text: string;
  try {
    text = await runUntrusted(command, opts.signal ? { signal: opts.signal } : {});
  } catch (error) {
    if (opts.signal?.aborted) throw error;
    if (error instanceof UntrustedRunError && error.failure === "FAILED") throw new DirectRefusal(unreadable, error.message);
    if (error instanceof UntrustedRunError || error instanceof EstimateUnavailableError) {
      throw new DirectRefusal(DirectFallbackReason.DIRECT_TOOL_FAILED, `${command[0]}: ${error.message}`);
    }
    throw error;
  }
  try {
    return parse(text);
  } catch (error) {
    throw new DirectRefusal(unreadable, `${command[0]} output: ${(error as Error).message}`);
  }
}
