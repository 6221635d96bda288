import { createReadStream } from "node:fs";
import fs, { type FileHandle } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { isInside } from "../domain/storage-path.js";
import type { VolumeReading } from "../host/scan/read-volumes.js";
import { copyText } from "./copy-rows.js";
import { readingRow } from "./scan-reading-row.js";

/** Every candidate place for a spool lies under a storage root: refuse rather than write into a domain. */
export class SpoolPlacementError extends Error {
  override readonly name = "SpoolPlacementError";
}

/** A spool directory's name: this prefix, the owning process's pid, a dash, mkdtemp's suffix. */
export const SPOOL_PREFIX = "sparsify-scan-";

/** Bytes gathered before one write to the file: few syscalls, and never more than this in memory. */
const FLUSH_BYTES = 256 * 1024;

const realOrSelf = (p: string) => fs.realpath(p).catch(() => p);

/** The first temp directory that is no storage root and lies under none (a spool must never land in a domain). */
async function spoolParent(storageRoots: readonly string[], candidates: readonly string[]): Promise<string> {
  const roots = await Promise.all(storageRoots.map(realOrSelf));
  for (const candidate of candidates) {
    const real = await fs.realpath(candidate).catch(() => null);
    if (real && !roots.some((root) => isInside(real, root))) return real;
  }
  throw new SpoolPlacementError(
    `every temporary directory (${candidates.join(", ")}) lies under a storage root (${storageRoots.join(", ")}); ` +
      "set TMPDIR to a directory outside the storage roots",
  );
}

/**
 * A scan's readings on local disk, in COPY's text format, one line per image, written as the host
 * reads them: the walk holds no database connection while it touches storage (storage can hang),
 * and the writer then streams the file into COPY, so neither side holds every reading in memory.
 * The file lives in a private directory (mode 0700) outside every storage root; `dispose()` removes
 * it and must run on every path (a finally), failures included.
 */
export class ReadingSpool {
  /** Readings written so far. */
  count = 0;
  private lines: string[] = [];
  private bytes = 0;
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    /** The private directory; removed whole by dispose(). */
    readonly dir: string,
    readonly file: string,
    private handle: FileHandle | null,
  ) {}

  /**
   * @param candidates where to place the private directory, first usable wins.
   * @throws {SpoolPlacementError} when every candidate lies under a storage root.
   */
  static async create(
    storageRoots: readonly string[],
    candidates: readonly string[] = [os.tmpdir(), "/var/tmp", "/tmp"],
  ): Promise<ReadingSpool> {
    const parent = await spoolParent(storageRoots, candidates);
    // The owner's pid in the name lets a later worker remove what a killed one left (reading-spool-sweep.ts).
    const dir = await fs.mkdtemp(path.join(parent, `${SPOOL_PREFIX}${process.pid}-`));
    try {
      await fs.chmod(dir, 0o700); // mkdtemp already makes it 0700; say so whatever the umask
      const file = path.join(dir, "readings.copy");
      return new ReadingSpool(dir, file, await fs.open(file, "wx", 0o600));
    } catch (error) {
      await fs.rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Appends one reading; resolves once it is buffered or written (the caller's backpressure). */
  async write(reading: VolumeReading): Promise<void> {
    if (!this.handle) throw new Error("the reading spool is closed");
    const line = `${readingRow(reading).map(copyText).join("\t")}\n`;
    this.lines.push(line);
    this.bytes += line.length;
    this.count++;
    if (this.bytes >= FLUSH_BYTES) await this.flush();
  }

  private flush(): Promise<unknown> {
    const text = this.lines.join("");
    this.lines = [];
    this.bytes = 0;
    const handle = this.handle!;
    // Lanes write concurrently: chain the writes so lines never interleave.
    this.writing = this.writing.then(async () => {
      if (text) await handle.write(text);
    });
    return this.writing;
  }

  /** Writes what is buffered and closes the file; the spool can then be read. */
  async finish(): Promise<void> {
    if (!this.handle) return;
    await this.flush();
    await this.handle.close();
    this.handle = null;
  }

  /** The spooled COPY text, streamed. */
  readable(): Readable {
    if (this.handle) throw new Error("finish() the reading spool before reading it");
    return createReadStream(this.file, { highWaterMark: 256 * 1024 });
  }

  /** Closes and removes the spool and its directory; safe to call twice and after a failure. */
  async dispose(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await this.writing.catch(() => undefined);
    await handle?.close().catch(() => undefined);
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
