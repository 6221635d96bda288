/** A DIRECT run whose verification failed: the disk stays blocked until an admin clears it. */
export interface DirectVerificationFailure {
  jobId: string;
  message: string;
  /** ISO time the verification failed. */
  at: string;
}
