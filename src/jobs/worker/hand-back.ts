/**
 * A worker that stops (second Ctrl-C, drain time over) hands its running sparsify jobs back to
 * the queue instead of ending them: the abort reason tells the processor it is not a cancel.
 */
export const HAND_BACK_REASON = "handed back: the worker is stopping";

/** What the processor returns for a job it handed back (not ended: it runs again elsewhere). */
export interface HandedBack {
  handedBack: true;
}

export const isHandBack = (signal: AbortSignal | undefined): boolean =>
  signal?.aborted === true && signal.reason === HAND_BACK_REASON;

export const isHandedBack = (result: unknown): result is HandedBack => (result as HandedBack | null)?.handedBack === true;
