import { runImageTool } from "../run-image-tool.js";
import type { ByteRange } from "../estimate/interval-math.js";
import { discardCommands } from "./discard-commands.js";

/** qemu-io failed on a discard, or was stopped; some ranges may already be discarded. */
export class DiscardFailedError extends Error {
  override readonly name = "DiscardFailedError";
}

/** Most ranges per qemu-io process: its stdin and our output buffer stay small. */
const BATCH = 50_000;

/**
 * Discards `ranges` (each a whole range inside `proven`, see {@link discardCommands}) through the
 * daemon's writable NBD export: one `qemu-io -f raw` per {@link BATCH} ranges (`opts.batch`),
 * commands on stdin; `opts.onProgress` after each.
 * Returns the bytes and the number of ranges sent. The format is given (raw: the NBD export is the
 * guest disk), never probed.
 * @throws {DiscardFailedError}
 */
export async function sendDiscards(
  nbdUri: string,
  ranges: readonly ByteRange[],
  proven: readonly ByteRange[],
  signal: AbortSignal,
  opts: { batch?: number; onProgress?: ((sent: number, total: number) => void) | undefined } = {},
): Promise<{ bytes: number; count: number }> {
  const lines = discardCommands(ranges, proven);
  const size = opts.batch ?? BATCH;
  let bytes = 0;
  for (let i = 0; i < lines.length; i += size) {
    signal.throwIfAborted();
    const batch = lines.slice(i, i + size);
    const result = await runImageTool("qemu-io", ["-f", "raw", nbdUri], {
      input: `${batch.join("\n")}\nquit\n`,
      signal,
      timeoutMs: 600_000,
    });
    // -q: a clean run prints nothing but prompts; any other word is a failed discard.
    const said = `${result.stdout}\n${result.stderr}`.replace(/qemu-io>\s*/g, "").trim();
    if (result.exitCode !== 0 || said)
      throw new DiscardFailedError(
        `qemu-io failed after up to ${i} of ${lines.length} discards: ${said.slice(-500) || result.shortMessage}`,
      );
    opts.onProgress?.(i + batch.length, lines.length);
  }
  for (const r of ranges) bytes += r.end - r.start;
  return { bytes, count: lines.length };
}
