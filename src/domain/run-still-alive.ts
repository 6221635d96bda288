// Stored on disk rows, so it lives with the entities; re-exported for the layers above.
export type { RunStillAlive } from "../entities/run-still-alive.js";
