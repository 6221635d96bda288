import { spawn } from "node:child_process";
import { isAbsolute } from "node:path";
import type { Readable } from "node:stream";
import { findExecutable } from "./find-executable.js";
import { dieWithService, OWN_SESSION } from "./own-session.js";

/** What a bounded look at a path found. */
export type PathProbe = ({ ok: true } & Seen) | ProbeFailure;

/** Why a path could not be looked at. */
export type ProbeFailure = { ok: false; condition: "HUNG" | "GONE" | "UNREADABLE"; reason: string };

/**
 * `stat`s a path (and, with `readDir`, reads its directory) in one child process with a deadline.
 * A stat on hung storage (a stopped FUSE server, an unreachable hard NFS mount) never returns;
 * done in the worker it would block one of libuv's four threads for good. The child is SIGKILLed
 * at the deadline and not waited for: a process stuck in uninterruptible sleep may never exit,
 * and the probe must still answer.
 */
export async function probePath(target: string, timeoutMs: number, opts: { readDir?: boolean } = {}): Promise<PathProbe> {
  if (!opts.readDir)
    // --: a hostile name cannot become an option; %d %i %F: device, inode, file type.
    return seenOrWhy(
      await bounded(target, [findExecutable("stat") ?? "stat", "-c", "%d %i %F", "--", target], timeoutMs, parseStat),
    );
  // One find instead of a stat and then a find: the watchdog runs this every few seconds during a
  // job, and each child costs the worker a fork. It prints the path's own device, inode and type,
  // then (a directory) reads it, which a stat answered from the attribute cache would not: the
  // server is asked. At the first entry, which does not match the start's -path, it quits.
  const start = isAbsolute(target) ? target : `./${target}`; // never taken as an option
  const argv = [findExecutable("find") ?? "find", start, "-maxdepth", "1"];
  argv.push("(", "-path", globLiteral(start), "-printf", "%D %i %y\\n", ")", "-o", "-quit");
  return seenOrWhy(await bounded(target, argv, timeoutMs, (stdout) => parseFindLine(stdout.split("\n")[0] ?? "")));
}

const seenOrWhy = (r: Bounded<Seen>): PathProbe => (r.ok ? { ok: true, ...r.seen } : r);

/** One path of {@link probePaths}. */
export interface ProbeTarget {
  path: string;
  /** Also read it (a directory): see {@link probePath}. */
  readDir?: boolean;
}

/**
 * {@link probePath} for several paths, in order, in one child when that is possible: the watchdog
 * looks at a job's domain and its image every few seconds, and each child costs the worker a fork
 * of its whole address space. At most one may be read (`readDir`): it goes last, since find quits
 * at its first entry. One find prints each start's device, inode and type; only numbers and a
 * letter per line, so no name can forge a line. Anything else than every line, at once and exit 0
 * (a path gone, a file that became a directory, an error), probes each path alone, so every
 * answer is what {@link probePath} says. HUNG needs no second look: the whole storage hangs.
 */
export async function probePaths(targets: readonly ProbeTarget[], timeoutMs: number): Promise<PathProbe[]> {
  const alone = async () => {
    const out: PathProbe[] = [];
    for (const t of targets) out.push(await probePath(t.path, timeoutMs, { readDir: t.readDir ?? false }));
    return out;
  };
  const read = targets.filter((t) => t.readDir);
  if (targets.length < 2 || read.length > 1) return alone();
  const ordered = [...targets.filter((t) => !t.readDir), ...read];
  const starts = ordered.map((t) => (isAbsolute(t.path) ? t.path : `./${t.path}`));
  const matches = starts.flatMap((start, i) => [...(i ? ["-o"] : []), "-path", globLiteral(start)]);
  const argv = [findExecutable("find") ?? "find", ...starts, "-maxdepth", read.length ? "1" : "0"];
  argv.push("(", ...matches, ")", "-printf", "%D %i %y\\n", "-o", "-quit");
  const names = targets.map((t) => t.path).join(" or ");
  const all = await bounded(names, argv, timeoutMs, (stdout, exitCode) => {
    const lines = stdout.split("\n");
    return exitCode === 0 && lines.length > ordered.length ? lines.slice(0, ordered.length).map(parseFindLine) : null;
  });
  if (!all.ok) return all.condition === "HUNG" ? targets.map(() => all) : alone();
  const seen = all.seen;
  if (seen.some((s) => s === null)) return alone();
  return targets.map((t) => ({ ok: true as const, ...seen[ordered.indexOf(t)]! }));
}

/** `text` as an fnmatch pattern (find's -path) that matches exactly itself. Pure. */
export function globLiteral(text: string): string {
  return text.replace(/[\\*?[\]]/g, "\\$&");
}

/** find's %y letters in stat's %F words, which the probe reports. */
const FIND_TYPES: Record<string, string> = {
  d: "directory",
  f: "regular file",
  l: "symbolic link",
  b: "block special file",
  c: "character special file",
  p: "fifo",
  s: "socket",
};

type Seen = { dev: string; ino: string; type: string };

/** stat -c '%d %i %F': one line, the type may hold spaces. */
function parseStat(stdout: string): Seen | null {
  const [dev = "", ino = "", ...type] = stdout.trim().split(" ");
  return dev && ino ? { dev, ino, type: type.join(" ") } : null;
}

/** One line of find's `%D %i %y`: a start's device, inode and type letter. */
function parseFindLine(line: string): Seen | null {
  const [dev = "", ino = "", letter = ""] = line.split(" ");
  return dev && ino && letter ? { dev, ino, type: FIND_TYPES[letter] ?? "unknown" } : null;
}

/** What the child printed, parsed; or why there was nothing to parse. */
type Bounded<T> = { ok: true; seen: T } | ProbeFailure;

/**
 * Runs one look in a child; see {@link probePath}. Plain `child_process.spawn`, not execa: the
 * watchdog runs these every few seconds during a job, and execa's option handling and stream
 * plumbing cost ~3 ms of the worker's CPU per call on top of the fork. What the child printed
 * about the path counts even if it then failed (a directory it may not list is still there),
 * unless it hung.
 */
async function bounded<T>(
  target: string,
  argv: string[],
  timeoutMs: number,
  parse: (stdout: string, exitCode: number | null) => T | null,
): Promise<Bounded<T>> {
  const [file, args] = dieWithService(argv[0]!, argv.slice(1));
  const child = spawn(file, args, { ...OWN_SESSION, stdio: ["ignore", "pipe", "pipe"], env: { LC_ALL: "C" } });
  const [readOut, readErr] = [collect(child.stdout), collect(child.stderr)];
  const exited = new Promise<{ exitCode: number | null; error?: Error }>((resolve) => {
    child.once("error", (error) => resolve({ exitCode: null, error }));
    child.once("close", (exitCode) => resolve({ exitCode }));
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"HUNG">((resolve) => {
    timer = setTimeout(() => resolve("HUNG"), timeoutMs);
  });
  const done = await Promise.race([exited, deadline]).finally(() => clearTimeout(timer));
  if (done === "HUNG") {
    child.kill("SIGKILL");
    return { ok: false, condition: "HUNG", reason: `${target} did not answer within ${timeoutMs} ms (storage hung)` };
  }
  const seen = done.error ? null : parse(readOut(), done.exitCode);
  if (seen) return { ok: true, seen };
  const shortMessage = done.error?.message ?? `exit code ${done.exitCode}`;
  const stderr = readErr();
  if (/No such file or directory|Not a directory/.test(stderr))
    return { ok: false, condition: "GONE", reason: `${target} does not exist (unmounted or removed)` };
  if (/Transport endpoint is not connected|Stale file handle/.test(stderr))
    return {
      ok: false,
      condition: "GONE",
      reason: `${target} is on a mount whose server is gone (${stderr.split(":").at(-1)!.trim()})`,
    };
  return {
    ok: false,
    condition: "UNREADABLE",
    reason: `${target} cannot be read: ${stderr.trim().split("\n")[0] || shortMessage}`,
  };
}

/** Keeps up to 64 KiB of a stream (a stat line or an error message is all that is read). */
function collect(stream: Readable | null): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream?.on("data", (chunk: Buffer) => {
    if (size >= 64 * 1024) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  return () => Buffer.concat(chunks).toString("utf8");
}
