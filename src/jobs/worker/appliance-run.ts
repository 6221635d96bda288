import type { Config } from "../../config.js";
import { RAMP_TICK_MS, rampLaunch, reduceProgress } from "../../host/sparsify-progress.js";
import { eventKey } from "../../host/virt-sparsify-output.js";
import { runVirtSparsify, type SparsifyRunResult } from "../../host/virt-sparsify-runner.js";
import type { RunProgress } from "./run-progress.js";
import type { Target } from "./sparsify-target.js";

/** What a virt-sparsify run on the host takes from the processor. */
export interface ApplianceRunInput {
  config: Config;
  backendSettings: string | undefined;
  target: Target;
  progress: RunProgress;
  /** Stops the run gracefully (cancel, lost storage). */
  signal: AbortSignal;
  /** Stops it at once (hand-back, fence). */
  hurry: AbortSignal;
}

/** Runs virt-sparsify on the target's leaf, turning its output into progress. */
export async function runAppliance(input: ApplianceRunInput): Promise<SparsifyRunResult> {
  const { target, progress } = input;
  const seen = new Set<string>();
  // The appliance boot says nothing for ~6 s: an estimated ramp keeps the bar moving.
  const launched = Date.now();
  const ramp = setInterval(() => {
    const next = rampLaunch(progress.current, Date.now() - launched);
    if (next !== progress.current) progress.publish(next);
  }, RAMP_TICK_MS);
  return runVirtSparsify({
    path: target.leafPath,
    format: target.format,
    signal: input.signal,
    hurry: input.hurry,
    timeoutMs: input.config.SPARSIFY_TIMEOUT_MS,
    killGraceMs: input.config.SPARSIFY_KILL_GRACE_MS,
    backendSettings: input.backendSettings,
    cacheDir: input.config.LIBGUESTFS_CACHEDIR,
    onEvent: (event) => {
      // Each message arrives twice (JSON and text copies): count it once.
      const key = eventKey(event);
      if (seen.has(key)) return;
      seen.add(key);
      const next = reduceProgress(progress.current, event);
      if (next !== progress.current) progress.publish(next);
    },
  }).finally(() => clearInterval(ramp));
}
