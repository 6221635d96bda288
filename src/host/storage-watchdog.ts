import { probePaths } from "./storage-probe.js";

/** A path the run depends on, with the identity it had when the run started. */
export interface WatchedPath {
  path: string;
  /** Also read it (a directory): a stat may be answered from cache while the server hangs. */
  readDir?: boolean;
  dev: string;
  ino: string;
}

/** Options for {@link watchStorage}. */
export interface StorageWatchOptions {
  paths: readonly WatchedPath[];
  /** Pause between two checks. */
  intervalMs: number;
  /** A check that takes longer means the storage hangs. */
  timeoutMs: number;
  /** Called once, with why, when a path stops being what it was. */
  onLost: (reason: string) => void;
}

export interface StorageWatch {
  /** Why the storage was declared gone; null while it is fine. */
  readonly lost: string | null;
  stop(): void;
}

/**
 * Watches the storage under a running job: every `intervalMs`, the paths are looked at in one child
 * with `timeoutMs` (see `probePaths`). A path that vanished (lazy unmount, directory removed),
 * changed device or inode (something else mounted or put there), or did not answer (hung server)
 * ends the watch and calls `onLost`. The job is then stopped within interval + timeout.
 */
export function watchStorage(opts: StorageWatchOptions): StorageWatch {
  let lost: string | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    const probes = await probePaths(opts.paths, opts.timeoutMs);
    if (stopped) return;
    for (const [i, watched] of opts.paths.entries()) {
      const seen = probes[i]!;
      const why = !seen.ok
        ? seen.reason
        : seen.dev !== watched.dev || seen.ino !== watched.ino
          ? `${watched.path} is no longer the file the run started on (device or inode changed: unmounted or replaced)`
          : null;
      if (why) {
        lost = why;
        stopped = true;
        opts.onLost(why);
        return;
      }
    }
    if (!stopped) timer = setTimeout(() => void check(), opts.intervalMs);
  };
  timer = setTimeout(() => void check(), opts.intervalMs);
  return {
    get lost() {
      return lost;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
