/**
 * "attempt 2" when a job runs again after its worker died (crash, kill, lost host); nothing for
 * the first attempt, which is the normal case.
 */
export const attemptLabel = (attempts: number | undefined): string | null =>
  attempts && attempts > 1 ? `attempt ${attempts}` : null;

/** Why a job went back to the start, for the label's tooltip. */
export const ATTEMPT_HINT = "Its worker stopped during an earlier attempt; another worker took the job over and ran it again";
