import childProcess from "node:child_process";
import { syncBuiltinESMExports } from "node:module";

/** One child process: when it was spawned and when it exited, on the `performance.now()` clock. */
export interface SpawnRecord {
  argv: string[];
  spawnedAt: number;
  exitedAt?: number;
}

/**
 * Records every child process of this process whose command line contains `command`, whoever
 * spawns it (here: the bench itself and the in-process worker, both through execa). It hooks
 * `child_process.spawn` and re-syncs the ESM named exports, so `import { spawn }` sees the hook.
 * No polling: the timing of what it watches is left alone.
 */
export function watchSpawns(command: string): { records: SpawnRecord[]; stop(): void } {
  const records: SpawnRecord[] = [];
  const original = childProcess.spawn;
  childProcess.spawn = function (this: unknown, ...args: unknown[]) {
    const child = (original as (...a: unknown[]) => childProcess.ChildProcess).apply(this, args);
    const argv = [String(args[0]), ...(Array.isArray(args[1]) ? args[1].map(String) : [])];
    if (argv.some((a) => a === command || a.endsWith(`/${command}`))) {
      const record: SpawnRecord = { argv, spawnedAt: performance.now() };
      records.push(record);
      child.once("exit", () => (record.exitedAt = performance.now()));
    }
    return child;
  } as typeof childProcess.spawn;
  syncBuiltinESMExports();
  return {
    records,
    stop: () => {
      childProcess.spawn = original;
      syncBuiltinESMExports();
    },
  };
}
