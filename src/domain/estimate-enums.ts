// Stored on disk rows, so they live with the entities; re-exported for src/host (see job-error-code.ts).
export { EstimateMethod, EstimateUnavailableReason } from "../entities/estimate-enums.js";
