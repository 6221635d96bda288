// Stored in storage_domain.directVerify, so it lives with the entities; re-exported for the layers above.
export { DirectVerifyMode } from "../entities/direct-verify-mode.js";
