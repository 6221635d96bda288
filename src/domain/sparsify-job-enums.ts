// Stored in sparsify_job, so they live with the entities; re-exported for src/host (see job-error-code.ts).
export { JobTrigger, SparsifyPhase } from "../entities/sparsify-job-enums.js";
