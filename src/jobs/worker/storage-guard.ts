import { JobErrorCode } from "../../domain/job-error-code.js";
import { probePaths } from "../../host/storage-probe.js";
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
 * Takes the identity (device, inode) of each path now, in one bounded child, then watches them
 * (see `watchStorage`). `paths`: a directory (which is also read), then images in it.
 * @throws {StorageUnavailableError} when a path is already gone or hangs.
 */
export async function guardStorage(
  paths: readonly string[],
  opts: { intervalMs: number; timeoutMs: number },
): Promise<StorageGuard> {
  const watched: WatchedPath[] = [];
  // The first is expected to be a directory to read (the domain), the others files (its images):
  // one child looks at all of them (probePaths asks each alone if one is not what is expected).
  const targets = paths.map((path, i) => ({ path, readDir: i === 0 }));
  const probes = await probePaths(targets, opts.timeoutMs);
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
