import { execa } from "execa";
import { findExecutable } from "./find-executable.js";

/** What a bounded look at a path found. */
export type PathProbe =
  | { ok: true; dev: string; ino: string; type: string }
  | { ok: false; condition: "HUNG" | "GONE" | "UNREADABLE"; reason: string };

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
  const listed = await bounded(target, [findExecutable("find") ?? "find", target, "-mindepth", "1", "-maxdepth", "1", "-quit"], Math.max(1, timeoutMs - (Date.now() - started)), timeoutMs);
  return listed.ok || listed.condition !== "HUNG" ? seen : listed;
}

/** Runs one look in a child; see {@link probePath}. */
async function bounded(target: string, argv: string[], timeoutMs: number, reportedMs = timeoutMs): Promise<PathProbe> {
  const [file, ...args] = argv;
  const child = execa(file!, args, { reject: false, stdin: "ignore", extendEnv: false, env: { LC_ALL: "C" }, buffer: true, maxBuffer: 64 * 1024 });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"HUNG">((resolve) => {
    timer = setTimeout(() => resolve("HUNG"), timeoutMs);
  });
  const outcome = await Promise.race([child, deadline]).finally(() => clearTimeout(timer));
  if (outcome === "HUNG") {
    child.kill("SIGKILL");
    void child.catch(() => undefined);
    return { ok: false, condition: "HUNG", reason: `${target} did not answer within ${reportedMs} ms (storage hung)` };
  }
  if (outcome.exitCode === 0) {
    const [dev = "", ino = "", ...type] = String(outcome.stdout).trim().split(" ");
    return { ok: true, dev, ino, type: type.join(" ") };
  }
  const stderr = String(outcome.stderr ?? "");
  if (/No such file or directory|Not a directory/.test(stderr)) return { ok: false, condition: "GONE", reason: `${target} does not exist (unmounted or removed)` };
  if (/Transport endpoint is not connected|Stale file handle/.test(stderr)) return { ok: false, condition: "GONE", reason: `${target} is on a mount whose server is gone (${stderr.split(":").at(-1)!.trim()})` };
  return { ok: false, condition: "UNREADABLE", reason: `${target} cannot be read: ${stderr.trim().split("\n")[0] || outcome.shortMessage}` };
}
