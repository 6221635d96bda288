import type { SparsifyOutputEvent } from "./virt-sparsify-output.js";

import { SparsifyPhase } from "../domain/sparsify-job-enums.js";

export { SparsifyPhase };

/** Progress as shown to users: `progress` is an integer percentage that never decreases. */
export interface SparsifyProgress {
  phase: SparsifyPhase;
  progress: number;
}

const ORDER = Object.values(SparsifyPhase);

/**
 * Weights follow measured wall time (docs/virt-sparsify.md §2, §4): ~10.5 s of a ~13 s run is appliance boot,
 * which is the only part virt-sparsify reports (`N/12`); the trim itself has no progress, so
 * each trimmed device only creeps towards 90.
 */
const CHECKING_PROGRESS = 2;
const LAUNCH_FROM = 5;
const LAUNCH_SPAN = 65;
const TRIM_START = 75;
const COMPLETED = 90;
const MEASURING = 95;

/** The state before virt-sparsify starts (the caller is probing the image). */
export const initialProgress: SparsifyProgress = { phase: SparsifyPhase.CHECKING, progress: CHECKING_PROGRESS };

/** Moves forward only: the later phase and the larger percentage win. */
function advance(state: SparsifyProgress, phase: SparsifyPhase, progress: number): SparsifyProgress {
  const later = ORDER.indexOf(phase) > ORDER.indexOf(state.phase) ? phase : state.phase;
  const next = Math.min(100, Math.max(state.progress, Math.floor(progress)));
  return later === state.phase && next === state.progress ? state : { phase: later, progress: next };
}

/**
 * Folds one parsed output event into the progress. Pure; returns `state` itself when nothing
 * changes, so callers can skip publishing by identity.
 */
export function reduceProgress(state: SparsifyProgress, event: SparsifyOutputEvent): SparsifyProgress {
  switch (event.kind) {
    case "launch": {
      if (event.total <= 0) return state;
      const fraction = Math.min(1, Math.max(0, event.step / event.total));
      return advance(state, SparsifyPhase.LAUNCHING, LAUNCH_FROM + fraction * LAUNCH_SPAN);
    }
    case "trimming":
    case "swap-cleared": {
      if (ORDER.indexOf(state.phase) < ORDER.indexOf(SparsifyPhase.TRIMMING)) {
        return advance(state, SparsifyPhase.TRIMMING, TRIM_START);
      }
      // Each further device closes a third of the remaining gap, staying below COMPLETED.
      const creep = Math.max(1, Math.round((COMPLETED - state.progress) / 3));
      return advance(state, SparsifyPhase.TRIMMING, Math.min(COMPLETED - 1, state.progress + creep));
    }
    case "completed":
      return advance(state, SparsifyPhase.TRIMMING, COMPLETED);
    default:
      return state;
  }
}

/**
 * The appliance boot is silent for its first ~6.5 s (the first `N/12` is 9/12), so until then the
 * bar follows an estimated ramp: it rises fast, then slower, and never reaches what 9/12 shows.
 */
const RAMP_CEILING = 50;
const RAMP_TAU_MS = 4_000;
/** How often the caller should apply {@link rampLaunch} while virt-sparsify runs. */
export const RAMP_TICK_MS = 750;

/**
 * The estimated progress `elapsedMs` after virt-sparsify started. Pure; only moves a job that is
 * still checking or launching, and (like every step) never backwards. Returns `state` itself when
 * nothing changes.
 */
export function rampLaunch(state: SparsifyProgress, elapsedMs: number): SparsifyProgress {
  if (ORDER.indexOf(state.phase) > ORDER.indexOf(SparsifyPhase.LAUNCHING) || elapsedMs < 0) return state;
  const estimate = LAUNCH_FROM + (RAMP_CEILING - LAUNCH_FROM) * (1 - Math.exp(-elapsedMs / RAMP_TAU_MS));
  return advance(state, SparsifyPhase.LAUNCHING, Math.min(RAMP_CEILING, estimate));
}

/** The caller is measuring the result with qemu-img. */
export const startMeasuring = (state: SparsifyProgress): SparsifyProgress => advance(state, SparsifyPhase.MEASURING, MEASURING);

/** The job is over (whatever the outcome): 100 %. */
export const finish = (state: SparsifyProgress): SparsifyProgress => advance(state, SparsifyPhase.DONE, 100);
