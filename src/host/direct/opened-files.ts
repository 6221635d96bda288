import { readdir, readlink, stat } from "node:fs/promises";
import { ImageRefusal } from "../inspect/image-refusal.js";
import { InspectionCode } from "../inspect/inspection-code.js";
import { PathGuardCode, PathGuardError, type FileIdentity } from "../path-guard.js";

/** A regular file a process holds open: what the descriptor points at, whatever its name says now. */
export interface OpenedFile extends FileIdentity {
  /** The kernel's name for it (`/proc/PID/fd/N`), for messages only. */
  name: string;
  /** st_nlink: more than one name means a write also lands under a name elsewhere. */
  links: number;
}

/**
 * The regular files a process holds open, read through `/proc/PID/fd`: stat follows each
 * descriptor to the inode it opened, so a path swapped before or after the open cannot hide it.
 * Pipes, sockets, devices and anonymous inodes are left out.
 */
export async function openedRegularFiles(pid: number): Promise<OpenedFile[]> {
  const dir = `/proc/${pid}/fd`;
  const found: OpenedFile[] = [];
  for (const fd of await readdir(dir)) {
    const link = `${dir}/${fd}`;
    const st = await stat(link, { bigint: true }).catch(() => null); // closed meanwhile
    if (!st?.isFile()) continue;
    const name = await readlink(link).catch(() => `fd ${fd}`);
    found.push({ device: String(st.dev), inode: String(st.ino), name, links: Number(st.nlink) });
  }
  return found;
}

/** How the files a daemon opened differ from the chain it was given. */
export interface OpenedFilesMismatch {
  /** Indices of layers whose recorded file is not among those open (a swapped path). */
  missing: number[];
  /** Open files that are no layer (an external data file, or what a swapped path led to). */
  extra: OpenedFile[];
}

const same = (a: FileIdentity, b: FileIdentity) => a.device === b.device && a.inode === b.inode;

/**
 * Compares what a daemon opened with the layers it was asked to open (by device and inode).
 * Returns null when they are the same set. Pure.
 */
export function compareOpenedFiles(layers: readonly FileIdentity[], opened: readonly OpenedFile[]): OpenedFilesMismatch | null {
  const missing = layers.flatMap((layer, i) => (opened.some((o) => same(o, layer)) ? [] : [i]));
  const extra = opened.filter((o) => !layers.some((layer) => same(o, layer)));
  return missing.length || extra.length ? { missing, extra } : null;
}

/**
 * Proves that a daemon holds exactly the chain it was given open, before anything is read through
 * it: the path guard and the inspector read the chain by name, and a swap or a header rewritten
 * after them (a data file outside) is followed by qemu when it opens the chain.
 * @throws {PathGuardError} IMAGE_PATH_CHANGED: a layer's path led to another file; IMAGE_HARDLINKED: a layer has another name now.
 * @throws {ImageRefusal} EXTERNAL_DATA_FILE: the daemon also opened a file that is no layer.
 */
export async function proveOpenedChain(pid: number, layers: readonly { path: string; identity: FileIdentity }[]): Promise<void> {
  const opened = await openedRegularFiles(pid);
  const mismatch = compareOpenedFiles(
    layers.map((l) => l.identity),
    opened,
  );
  if (!mismatch) {
    // A name linked to a layer since the guard counted its links: discards would show there too.
    const linked = opened.find((o) => o.links !== 1);
    if (linked)
      throw new PathGuardError(
        PathGuardCode.IMAGE_HARDLINKED,
        `${linked.name} has ${linked.links} hard links now; writing it would change the other names too; nothing was discarded`,
      );
    return;
  }
  const [first] = mismatch.missing;
  if (first !== undefined)
    throw new PathGuardError(
      PathGuardCode.IMAGE_PATH_CHANGED,
      `${layers[first]!.path} was replaced between its checks and its opening (qemu-storage-daemon opened ` +
        `${mismatch.extra.map((f) => f.name).join(", ") || "another file"}); nothing was read or discarded`,
    );
  throw new ImageRefusal(
    InspectionCode.EXTERNAL_DATA_FILE,
    `qemu-storage-daemon also opened ${mismatch.extra.map((f) => JSON.stringify(f.name)).join(", ")}, which is no ` +
      "layer of the disk's recorded chain (a data file named by a header rewritten after the checks); nothing was read or discarded",
  );
}
