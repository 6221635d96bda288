import { execa } from "execa";
import { childEnv } from "../child-env.js";
import { dieWithService, OWN_SESSION } from "../own-session.js";
import { toolCommand } from "../tools.js";

/** The domain did not answer a directory walk in time: hung NFS, a stopped FUSE server. */
export class StorageNotAnsweringError extends Error {
  override readonly name = "StorageNotAnsweringError";
}

/**
 * Walks the domain in a child process (`find`, every entry lstat'ed, no link followed below the
 * root, nothing opened) under a deadline before the worker touches it itself. A stat on hung
 * storage blocks forever, and in Node it would block a libuv pool thread for good (four of them
 * serve every file operation of the process); a child that hangs is simply killed. A request a
 * stopped FUSE server has not read yet is abandoned on SIGKILL.
 * @throws {StorageNotAnsweringError}
 */
export async function probeDomain(root: string, timeoutMs: number): Promise<void> {
  const [file, args] = dieWithService(toolCommand("find"), ["-H", root, "-printf", "%n\\n"]);
  const result = await execa(file, args, {
    ...OWN_SESSION,
    reject: false,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    maxBuffer: 64 * 1024,
    extendEnv: false,
    env: childEnv({ LC_ALL: "C" }),
    cwd: "/",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  if (result.timedOut)
    throw new StorageNotAnsweringError(
      `the storage domain did not answer a directory walk within ${timeoutMs} ms (hung mount?); nothing was read`,
    );
}
