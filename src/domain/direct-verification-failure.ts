// Stored in disk.directVerificationFailed, so it lives with the entities; re-exported for the layers above.
export type { DirectVerificationFailure } from "../entities/direct-verification-failure.js";
