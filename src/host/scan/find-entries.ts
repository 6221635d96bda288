import { execa } from "execa";
import { childEnv } from "../child-env.js";
import { dieWithService, OWN_SESSION } from "../own-session.js";
import { toolCommand } from "../tools.js";
import { withDeadline } from "../with-deadline.js";

/** One name below a directory, as `find` saw it (never followed): a regular file or a symbolic link. */
export interface FoundEntry {
  type: "file" | "link";
  /** Relative to the directory walked. */
  path: string;
}

/** `find` reported an error (a directory it could not read, a file system loop): the walk is incomplete. */
export class WalkFailedError extends Error {
  override readonly name = "WalkFailedError";
}

/** A record longer than this without its terminator is not a path (PATH_MAX is 4096). */
const MAX_RECORD_BYTES = 64 * 1024;

// Hidden names are pruned below the start point, links are never followed (-P), and only regular
// files and links are printed: a FIFO or device node named like an image is never listed.
const EXPRESSION = ["-mindepth", "1", "-name", ".*", "-prune", "-o", "-type", "f", "-printf", "f%P\\0", "-o"];
const LINKS = ["-type", "l", "-printf", "l%P\\0"];

/**
 * Streams the entries below `dir` from a `find` child, as the caller asks for them: the pipe is
 * the buffer (find blocks when the caller is busy), so memory stays flat whatever the directory
 * holds. The listing runs in a child because a stat or readdir on hung storage never returns and,
 * in-process, parks one of the four libuv threads for good (and Node's own directory reader lstats
 * an entry of unknown type synchronously); a child that hangs is simply killed. Each wait for the
 * next batch is bounded by `stepTimeoutMs`, so a huge domain may take as long as it needs while a
 * hung one fails in bounded time.
 * @throws {StorageHungError} when `find` prints nothing for `stepTimeoutMs` while the caller waits.
 * @throws {WalkFailedError} when `find` exits with an error.
 */
export async function* findEntries(dir: string, stepTimeoutMs: number): AsyncGenerator<FoundEntry> {
  // A session of its own: a terminal's Ctrl-C meant for the service must not end the walk half-way.
  const [file, args] = dieWithService(toolCommand("find"), ["-P", dir, ...EXPRESSION, ...LINKS]);
  const child = execa(file, args, {
    ...OWN_SESSION,
    reject: false,
    stdin: "ignore",
    buffer: { stdout: false, stderr: true },
    maxBuffer: { stderr: 64 * 1024 },
    extendEnv: false,
    env: childEnv({ LC_ALL: "C" }),
    cwd: "/",
    killSignal: "SIGKILL",
  });
  const chunks = child.stdout[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const step = <T>(work: Promise<T>) => withDeadline(work, stepTimeoutMs, "the storage domain's directory walk");
  let tail: Buffer | null = null;
  try {
    for (;;) {
      const next = await step(chunks.next());
      if (next.done) break;
      const buffer: Buffer = tail ? Buffer.concat([tail, next.value]) : next.value;
      let start = 0;
      for (let end = buffer.indexOf(0, start); end !== -1; end = buffer.indexOf(0, start)) {
        const type = buffer[start] === 0x66 ? "file" : "link"; // "f" or "l"
        yield { type, path: buffer.toString("utf8", start + 1, end) };
        start = end + 1;
      }
      tail = start < buffer.length ? buffer.subarray(start) : null;
      if (tail && tail.length > MAX_RECORD_BYTES)
        throw new WalkFailedError(`find printed a record over ${MAX_RECORD_BYTES} bytes`);
    }
    const result = await step(child);
    if (result.exitCode !== 0 || result.signal)
      throw new WalkFailedError(`the walk of ${dir} failed: ${String(result.stderr).trim().split("\n")[0] || result.message}`);
  } finally {
    // A consumer that stopped early, or a hung find: never wait for it (it may sit in the kernel).
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}
