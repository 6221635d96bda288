import { constants } from "node:fs";
import { lstat, open, realpath } from "node:fs/promises";
import path from "node:path";
import { isInside } from "../domain/storage-path.js";
import { childEnv } from "./child-env.js";
import { imageToolTimeoutMs } from "./run-image-tool.js";
import { runProbe } from "./run-probe.js";
import { toolCommand } from "./tools.js";

/**
 * Why an image's path may not be handed to a tool now. Job error codes and (IMAGE_HARDLINKED)
 * scan-time blockers; see the README's security model.
 */
export enum PathGuardCode {
  /** The path resolves somewhere else than at the scan: a symlink, a moved directory, another inode. */
  IMAGE_PATH_CHANGED = "IMAGE_PATH_CHANGED",
  /** A FIFO, device node, socket or directory where an image file was. */
  IMAGE_NOT_REGULAR_FILE = "IMAGE_NOT_REGULAR_FILE",
  /** The file has more than one name: writing it would also write a file elsewhere. */
  IMAGE_HARDLINKED = "IMAGE_HARDLINKED",
  IMAGE_NOT_FOUND = "IMAGE_NOT_FOUND",
  /** The storage did not answer a stat in time (hung mount): nothing was opened. */
  STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE",
}

/** A file's identity, as strings: st_ino and st_dev can exceed 2^53. */
export interface FileIdentity {
  device: string;
  inode: string;
}

/** What the scan records about one image file, read without following a link or opening it. */
export interface FileFacts extends FileIdentity {
  regular: boolean;
  links: number;
}

export class PathGuardError extends Error {
  override readonly name = "PathGuardError";
  constructor(
    readonly code: PathGuardCode,
    message: string,
  ) {
    super(message);
  }
}

/** lstat only: never follows a link, never opens (a FIFO must never be opened). */
export async function readFileFacts(file: string): Promise<FileFacts> {
  const st = await lstat(file, { bigint: true });
  return { device: String(st.dev), inode: String(st.ino), regular: st.isFile(), links: Number(st.nlink) };
}

/** The scan-time problem of a file's facts, or null. Pure. */
export function fileFactsProblem(facts: FileFacts, relPath: string): string | null {
  if (!facts.regular)
    return `${PathGuardCode.IMAGE_NOT_REGULAR_FILE}: The image ${relPath} is not a regular file; it is never opened`;
  if (facts.links !== 1)
    return (
      `${PathGuardCode.IMAGE_HARDLINKED}: The image ${relPath} has ${facts.links} hard links; writing ` +
      "it would change the other names too, so it is never opened"
    );
  return null;
}

/** One layer to check: where the scan found it and what it was. */
export interface GuardedLayer {
  relPath: string;
  /** Recorded by the scan; null for a volume scanned before identities were recorded. */
  identity: FileIdentity | null;
}

const fail = (code: PathGuardCode, message: string) => new PathGuardError(code, message);

/**
 * Touches the path in a killable child under a deadline before this process does: on a hung
 * mount a stat or an open never returns, and in Node it would hold a libuv pool thread forever.
 * find's lstat of the start (nothing followed at the end) proves the lookup answers; an attribute
 * cache can answer that while the server is gone, so a regular file is then also opened the way
 * the guard will open it (`dd … iflag=nonblock,nofollow count=0`: opened, nothing read), by find
 * itself: one fork of this process instead of two (every job's path runs this). Devices and FIFOs
 * are never opened here. Only the deadline matters: a path that fails, the checks below explain.
 */
async function answersInTime(file: string): Promise<void> {
  const timeoutMs = imageToolTimeoutMs();
  const start = path.isAbsolute(file) ? file : `./${file}`; // never taken as an option or an expression
  const openIt = [toolCommand("dd"), "if={}", "of=/dev/null", "count=0", "iflag=nonblock,nofollow", "status=none"];
  // The plain spawn runner: this runs on every job's path (run-probe.ts says why not execa).
  const probe = await runProbe(toolCommand("find"), [start, "-maxdepth", "0", "-type", "f", "-exec", ...openIt, ";"], {
    reject: false,
    env: childEnv({ LC_ALL: "C" }),
    timeoutMs,
    maxBuffer: 64 * 1024,
  });
  if (probe.timedOut)
    throw fail(
      PathGuardCode.STORAGE_UNAVAILABLE,
      `The storage did not answer for ${file} within ${timeoutMs} ms (hung mount?); nothing was opened`,
    );
}

/**
 * Proves, right before a tool opens it, that an image is still the file the scan saw: its real
 * path is exactly `<real domain>/<relPath>` (no symlink anywhere on it, no directory swapped),
 * inside the domain (and the domain inside a storage root), a regular file with one link, with
 * the recorded device and inode. It is then opened with O_NOFOLLOW|O_NONBLOCK (a FIFO swapped in
 * between cannot block us) and fstat'ed, so the checks were made on what sits at that path.
 * Returns the real path: the only one a tool may be given.
 * @throws {PathGuardError}
 */
export async function guardImagePath(domainPath: string, layer: GuardedLayer, roots: readonly string[] = []): Promise<string> {
  await answersInTime(path.join(domainPath, layer.relPath));
  const realDomain = await realpath(domainPath).catch(() => {
    throw fail(PathGuardCode.IMAGE_NOT_FOUND, `The storage domain ${domainPath} cannot be resolved`);
  });
  if (roots.length && !roots.some((root) => isInside(realDomain, root))) {
    throw fail(PathGuardCode.IMAGE_PATH_CHANGED, `The storage domain now resolves to ${realDomain}, outside the storage roots`);
  }
  const expected = path.join(realDomain, layer.relPath);
  if (!isInside(expected, realDomain) || expected === realDomain)
    throw fail(PathGuardCode.IMAGE_PATH_CHANGED, `${layer.relPath} is not a path inside the storage domain`);
  let real: string;
  try {
    real = await realpath(expected);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR")
      throw fail(PathGuardCode.IMAGE_NOT_FOUND, `${layer.relPath} does not exist any more; rescan the storage domain`);
    throw fail(PathGuardCode.IMAGE_PATH_CHANGED, `${layer.relPath} cannot be resolved (${code})`);
  }
  if (real !== expected) {
    const where = isInside(real, realDomain) ? "elsewhere in the storage domain" : "outside the storage domain";
    throw fail(PathGuardCode.IMAGE_PATH_CHANGED, `${layer.relPath} now leads ${where} (through a symlink); nothing was touched`);
  }
  const facts = await readFileFacts(real);
  if (!facts.regular)
    throw fail(PathGuardCode.IMAGE_NOT_REGULAR_FILE, `${layer.relPath} is no longer a regular file; nothing was touched`);
  if (facts.links !== 1)
    throw fail(
      PathGuardCode.IMAGE_HARDLINKED,
      `${layer.relPath} has ${facts.links} hard links; writing it would change the other names too`,
    );
  if (!layer.identity)
    throw fail(
      PathGuardCode.IMAGE_PATH_CHANGED,
      `${layer.relPath} was scanned before file identities were recorded; rescan the storage domain`,
    );
  if (facts.device !== layer.identity.device || facts.inode !== layer.identity.inode) {
    throw fail(
      PathGuardCode.IMAGE_PATH_CHANGED,
      `${layer.relPath} is another file than the one scanned (it was replaced); rescan the storage domain`,
    );
  }
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    (error: NodeJS.ErrnoException) => {
      throw fail(
        error.code === "ELOOP" ? PathGuardCode.IMAGE_PATH_CHANGED : PathGuardCode.IMAGE_NOT_FOUND,
        `${layer.relPath} changed while it was checked (${error.code})`,
      );
    },
  );
  try {
    const st = await handle.stat({ bigint: true });
    if (!st.isFile() || String(st.dev) !== facts.device || String(st.ino) !== facts.inode || st.nlink !== 1n) {
      throw fail(PathGuardCode.IMAGE_PATH_CHANGED, `${layer.relPath} changed while it was checked; nothing was touched`);
    }
  } finally {
    await handle.close();
  }
  return real;
}

/** Guards every layer, leaf first; returns their real paths in the same order. */
export async function guardLayers(
  domainPath: string,
  layers: readonly GuardedLayer[],
  roots: readonly string[] = [],
): Promise<string[]> {
  const out: string[] = [];
  for (const layer of layers) out.push(await guardImagePath(domainPath, layer, roots));
  return out;
}
