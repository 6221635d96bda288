import { JobErrorCode } from "../../domain/job-error-code.js";
import { probePath } from "../../host/storage-probe.js";
import { watchStorage, type WatchedPath } from "../../host/storage-watchdog.js";

/** The storage under a job vanished, was replaced or hangs: the job ends STORAGE_UNAVAILABLE. */
export class StorageUnavailableError extends Error {
  override readonly name = "StorageUnavailableError";
  readonly code = JobErrorCode.STORAGE_UNAVAILABLE;
}

/** A job's view of its storage while it runs. */
export interface StorageGuard {
  /** Why the storage was lost; null while it is fine. */
  readonly lost: string | null;
  /** Aborted when the storage is lost: wire it to the run so it is stopped. */
  readonly signal: AbortSignal;
  /**
   * The promise's outcome, unless the storage is lost first: then rejects with
   * {@link StorageUnavailableError} at once (a qemu-img on hung storage may never return).
   */
  until<T>(work: Promise<T>): Promise<T>;
  stop(): void;
}

/**
 * Takes the identity (device, inode) of each path now, with a bounded stat, then watches it
 * (see `watchStorage`).
 * @throws {StorageUnavailableError} when a path is already gone or hangs.
 */
export async function guardStorage(
  paths: readonly string[],
  opts: { intervalMs: number; timeoutMs: number },
): Promise<StorageGuard> {
  const watched: WatchedPath[] = [];
  // Each is read if it is a directory, which is not known yet: a domain and its image are two
  // probes in parallel (each in its own child, each bounded), so the start waits for one, not the sum.
  const probes = await Promise.all(paths.map((path) => probePath(path, opts.timeoutMs, { readDir: true })));
  for (const [i, path] of paths.entries()) {
    const seen = probes[i]!;
    if (!seen.ok) throw new StorageUnavailableError(seen.reason);
    watched.push({ path, dev: seen.dev, ino: seen.ino, readDir: seen.type === "directory" });
  }
  const controller = new AbortController();
  let rejectLost: (error: Error) => void = () => undefined;
  const lostPromise = new Promise<never>((_, reject) => (rejectLost = reject));
  lostPromise.catch(() => undefined); // only observed through until()
  const watch = watchStorage({
    ...opts,
    paths: watched,
    onLost: (reason) => {
      controller.abort(new StorageUnavailableError(reason));
      rejectLost(new StorageUnavailableError(reason));
    },
  });
  return {
    get lost() {
      return watch.lost;
    },
    signal: controller.signal,
    until: (work) => Promise.race([work, lostPromise]),
    stop: () => watch.stop(),
  };
}
