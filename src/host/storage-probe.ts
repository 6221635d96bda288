import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { findExecutable } from "./find-executable.js";
import { dieWithService, OWN_SESSION } from "./own-session.js";

/** What a bounded look at a path found. */
export type PathProbe =
  { ok: true; dev: string; ino: string; type: string } | { ok: false; condition: "HUNG" | "GONE" | "UNREADABLE"; reason: string };

/**
 * `stat`s a path (and, with `readDir`, reads one entry of a directory) in a child process with a
 * deadline. A stat on hung storage (a stopped FUSE
 * server, an unreachable hard NFS mount) never returns; done in the worker it would block one of
 * libuv's four threads for good. The child is SIGKILLed at the deadline and not waited for: a
 * process stuck in uninterruptible sleep may never exit, and the probe must still answer.
 */
export async function probePath(target: string, timeoutMs: number, opts: { readDir?: boolean } = {}): Promise<PathProbe> {
  const started = Date.now();
  const stat = findExecutable("stat") ?? "stat";
  // --: a hostile name cannot become an option; %d %i %F: device, inode, file type.
  const seen = await bounded(target, [stat, "-c", "%d %i %F", "--", target], timeoutMs);
  if (!seen.ok || !opts.readDir || seen.type !== "directory") return seen;
  // A stat can be answered from the kernel's attribute cache; reading the directory asks the
  // server. find stops after the first entry (paths here are absolute: never taken as options).
  const listed = await bounded(
    target,
    [findExecutable("find") ?? "find", target, "-mindepth", "1", "-maxdepth", "1", "-quit"],
    Math.max(1, timeoutMs - (Date.now() - started)),
    timeoutMs,
  );
  return listed.ok || listed.condition !== "HUNG" ? seen : listed;
}

/**
 * Runs one look in a child; see {@link probePath}. Plain `child_process.spawn`, not execa: the
 * watchdog runs three of these every few seconds during a job, and execa's option handling and
 * stream plumbing cost ~3 ms of the worker's CPU per call on top of the ~1 ms fork.
 */
async function bounded(target: string, argv: string[], timeoutMs: number, reportedMs = timeoutMs): Promise<PathProbe> {
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
    return { ok: false, condition: "HUNG", reason: `${target} did not answer within ${reportedMs} ms (storage hung)` };
  }
  const shortMessage = done.error?.message ?? `exit code ${done.exitCode}`;
  const outcome = { exitCode: done.exitCode, stdout: readOut(), stderr: readErr(), shortMessage };
  if (outcome.exitCode === 0) {
    const [dev = "", ino = "", ...type] = String(outcome.stdout).trim().split(" ");
    return { ok: true, dev, ino, type: type.join(" ") };
  }
  const stderr = String(outcome.stderr ?? "");
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
    reason: `${target} cannot be read: ${stderr.trim().split("\n")[0] || outcome.shortMessage}`,
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
