// Stored on disk rows (blockers, warnings), so it lives with the entities; re-exported for the rules here.
export { SparsifyIssueCode, type SparsifyIssue } from "../entities/sparsify-issue.js";
