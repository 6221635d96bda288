// Stored in sparsify_job and storage_domain, so they live with the entities; re-exported for the layers above.
export { DirectFallbackReason, SparsifyMethod } from "../entities/direct-method.js";
