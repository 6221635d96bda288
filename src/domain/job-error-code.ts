// Stored in sparsify_job.errorCode, so it lives with the entities; re-exported here for the layers
// above domain that may not import entities (src/host).
export { JobErrorCode, asJobErrorCode } from "../entities/job-error-code.js";
