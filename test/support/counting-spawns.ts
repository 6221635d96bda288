import childProcess from "node:child_process";
import { syncBuiltinESMExports } from "node:module";

/**
 * Runs `work` and counts the child processes this process spawned meanwhile (each is a fork of
 * the whole worker: the cost the probes are built to keep down). It hooks `child_process.spawn`
 * and re-syncs the ESM named exports, so code that did `import { spawn }` is counted too.
 */
export async function countingSpawns<T>(work: () => Promise<T>): Promise<{ result: T; spawns: number }> {
  const original = childProcess.spawn;
  let spawns = 0;
  childProcess.spawn = function (this: unknown, ...args: unknown[]) {
    spawns++;
    return (original as (...a: unknown[]) => childProcess.ChildProcess).apply(this, args);
  } as typeof childProcess.spawn;
  syncBuiltinESMExports();
  try {
    return { result: await work(), spawns };
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}
