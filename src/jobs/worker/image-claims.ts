import { realpath } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** What a reader of a claimed image gets: its reading is dropped (the run refreshes it), not failed. */
export class ImageClaimedError extends Error {
  constructor(path: string) {
    super(`${path} is being sparsified on this host: its reading is dropped`);
    this.name = "ImageClaimedError";
  }
}

interface Reader {
  keys: readonly string[];
  controller: AbortController;
  done: Promise<void>;
}

/** Both sides name an image by its real path: a domain path with a symlink in it is the same file. */
const keysOf = (paths: readonly string[]) => Promise.all(paths.map((p) => realpath(p).catch(() => p)));

/**
 * Which images this worker process reads and which it is about to write. The estimator opens a
 * disk's leaf without sharing it (qemu's lock is how it sees a running VM), so a sparsify run that
 * launched while an estimate of the same disk was reading failed at once: qemu could not take the
 * write lock, and virt-sparsify only said `guestfs_launch failed` (APPLIANCE_FAILED, seen right
 * after a restart, when the rescan's estimate meets the first job). A run claims its leaf before
 * its pre-check: readers of it are stopped and awaited, and none starts until the run releases it.
 * This closes the race inside one worker process. Across processes of one host, each claim is
 * also announced on the bus, and the other processes stop their readers of it (host-claims.ts);
 * an estimate skips a disk a job has locked (estimate.processor.ts), and a run's pre-check waits
 * a few seconds for a leaf that only qemu tools hold, while they let go (sparsify-target.ts).
 */
export class ImageClaims {
  private readonly readers = new Set<Reader>();
  private readonly claimed = new Map<string, number>();
  private announce: (keys: string[]) => void = () => {};

  /** `announce` gets the keys (real paths) of every claim, as it is made. */
  onClaim(announce: (keys: string[]) => void): void {
    this.announce = announce;
  }

  /**
   * Stops this process's readers of `keys` (a run in another process of the host claimed them);
   * they end as for a claim here. Later reads are not refused: a job locked the disk first, and an
   * estimate skips a locked disk. Returns how many were stopped.
   */
  stopReaders(keys: readonly string[]): number {
    return this.abortReaders(keys).length;
  }

  private abortReaders(keys: readonly string[]): Reader[] {
    const busy = [...this.readers].filter((r) => r.keys.some((k) => keys.includes(k)));
    for (const r of busy) r.controller.abort(new ImageClaimedError(r.keys.find((k) => keys.includes(k))!));
    return busy;
  }

  /**
   * Runs `read` with a signal that aborts (reason: ImageClaimedError) when a run claims one of
   * `paths`. Throws ImageClaimedError at once if one is claimed already.
   */
  async read<T>(paths: readonly string[], read: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const keys = await keysOf(paths);
    const taken = keys.find((k) => this.claimed.has(k));
    if (taken !== undefined) throw new ImageClaimedError(taken);
    let finished!: () => void;
    const reader: Reader = { keys, controller: new AbortController(), done: new Promise((r) => (finished = r)) };
    this.readers.add(reader);
    try {
      return await read(reader.controller.signal);
    } finally {
      this.readers.delete(reader);
      finished();
    }
  }

  /**
   * Claims `paths` for a run: aborts their readers and waits for them to end (they close their
   * images on the way out), at most `waitMs`. Returns the release, which is safe to call twice.
   */
  async claim(paths: readonly string[], waitMs: number): Promise<() => void> {
    const keys = await keysOf(paths);
    for (const k of keys) this.claimed.set(k, (this.claimed.get(k) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const k of keys) {
        const left = this.claimed.get(k)! - 1;
        if (left > 0) this.claimed.set(k, left);
        else this.claimed.delete(k);
      }
    };
    this.announce(keys);
    const busy = this.abortReaders(keys);
    if (busy.length) {
      const waited = new AbortController();
      await Promise.race([
        Promise.all(busy.map((r) => r.done)),
        sleep(waitMs, undefined, { signal: waited.signal }).catch(() => undefined),
      ]);
      waited.abort();
    }
    return release;
  }

  /** How many readings are under way (for tests and logs). */
  get readingCount(): number {
    return this.readers.size;
  }
}
