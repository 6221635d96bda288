import { lstat, readdir, readFile, rmdir, unlink } from "node:fs/promises";
import { join } from "node:path";

/**
 * libguestfs puts its socket directory (`libguestfsXXXXXX/guestfsd.sock`) in /tmp whenever it
 * runs as root, whatever TMPDIR says, and leaves it behind when virt-sparsify is killed
 * (docs/virt-sparsify.md §5, §9.9). Several runs can share /tmp, so a directory is only removed when it is
 * ours or provably dead.
 */
export const ROOT_SOCKDIR_PARENT = "/tmp";
const PREFIX = "libguestfs";
const SOCKET_NAME = "guestfsd.sock";
/** All a libguestfs socket dir ever holds (direct backend). */
const OUR_ENTRIES = new Set([SOCKET_NAME, "console.sock"]);

/**
 * Removes `parent/name` only if it provably is a libguestfs socket dir of this user: a real
 * directory (not a link) owned by us, writable by nobody else (so nobody else can have put
 * anything in it; libguestfs makes it 0700, or 0755 as root), holding nothing but our socket
 * names, each a socket (not a link, file or directory) owned by us. Each socket is unlinked and
 * the directory removed with rmdir: no recursion, nothing followed. Returns whether it was removed.
 */
export async function removeOwnSockdir(parent: string, name: string, uid = process.geteuid?.() ?? 0): Promise<boolean> {
  if (!name.startsWith(PREFIX) || name.includes("/")) return false;
  const dir = join(parent, name);
  try {
    const st = await lstat(dir);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) return false;
    const entries = await readdir(dir);
    if (!entries.includes(SOCKET_NAME) || entries.some((e) => !OUR_ENTRIES.has(e))) return false;
    for (const entry of entries) {
      const est = await lstat(join(dir, entry));
      if (!est.isSocket() || est.uid !== uid) return false;
    }
    for (const entry of entries) await unlink(join(dir, entry));
    await rmdir(dir);
    return true;
  } catch {
    return false; // gone meanwhile, or not ours to judge
  }
}

/** Parses /proc/net/unix into inode → bound path (unbound sockets are skipped). Pure. */
export function parseProcNetUnix(text: string): Map<string, string> {
  const byInode = new Map<string, string>();
  for (const line of text.split("\n").slice(1)) {
    // Num RefCount Protocol Flags Type St Inode [Path]
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 8) byInode.set(cols[6]!, cols.slice(7).join(" "));
  }
  return byInode;
}

/** One libguestfs directory that appeared during the run. */
export interface SockdirCandidate {
  name: string;
  /** Seen holding a socket that belonged to our process tree. */
  attributed: boolean;
  /** Contains a `guestfsd.sock` entry. */
  hasSocketFile: boolean;
  /** Some live socket anywhere on the host is bound under it. */
  live: boolean;
}

/**
 * Which new directories to delete after a run. Pure.
 * - ours (attributed while our process was alive): always;
 * - others: only if they hold a `guestfsd.sock` that no live socket is bound to, i.e. their
 *   owner is dead (ours killed before we could attribute it, or a crashed neighbour).
 * Left alone: a concurrent live run's directory, and empty directories (a neighbour between
 * mkdtemp and bind, or a neighbour's TMPDIR; we set our own TMPDIR so we never make those).
 */
export function selectSockdirsToRemove(candidates: readonly SockdirCandidate[]): string[] {
  return candidates.filter((c) => c.attributed || (c.hasSocketFile && !c.live)).map((c) => c.name);
}

async function listLibguestfsDirs(parent: string): Promise<string[]> {
  const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && e.name.startsWith(PREFIX)).map((e) => e.name);
}

async function boundSockets(): Promise<Map<string, string>> {
  return parseProcNetUnix(await readFile("/proc/net/unix", "utf8").catch(() => ""));
}

/** Tracks the libguestfs socket directories one run creates under `parent`. */
export class SockdirTracker {
  private readonly attributed = new Set<string>();

  private constructor(
    private readonly parent: string,
    private readonly before: ReadonlySet<string>,
  ) {}

  /** Snapshot the existing directories; call before spawning. */
  static async start(parent = ROOT_SOCKDIR_PARENT): Promise<SockdirTracker> {
    return new SockdirTracker(parent, new Set(await listLibguestfsDirs(parent)));
  }

  /** How many new directories were seen holding one of our sockets. */
  get attributedCount(): number {
    return this.attributed.size;
  }

  /** A libguestfs directory appeared since the start that is not attributed yet (one readdir). */
  async hasUnattributed(): Promise<boolean> {
    return (await listLibguestfsDirs(this.parent)).some((name) => !this.before.has(name) && !this.attributed.has(name));
  }

  /** Marks as ours every new directory holding a socket whose inode is in `ourInodes`. */
  async attribute(ourInodes: ReadonlySet<string>): Promise<void> {
    const prefix = join(this.parent, PREFIX);
    for (const [inode, path] of await boundSockets()) {
      if (!ourInodes.has(inode) || !path.startsWith(prefix)) continue;
      const name = path.slice(this.parent.length + 1).split("/")[0]!;
      if (!this.before.has(name)) this.attributed.add(name);
    }
  }

  /** Removes what {@link selectSockdirsToRemove} selects; returns the removed paths. */
  async cleanup(): Promise<string[]> {
    const liveDirs = new Set(
      [...(await boundSockets()).values()]
        .filter((p) => p.startsWith(join(this.parent, PREFIX)))
        .map((p) => p.slice(this.parent.length + 1).split("/")[0]!),
    );
    const fresh = (await listLibguestfsDirs(this.parent)).filter((name) => !this.before.has(name));
    const candidates = await Promise.all(
      fresh.map(async (name) => ({
        name,
        attributed: this.attributed.has(name),
        hasSocketFile: (await readdir(join(this.parent, name)).catch((): string[] => [])).includes(SOCKET_NAME),
        live: liveDirs.has(name),
      })),
    );
    const removed: string[] = [];
    for (const name of selectSockdirsToRemove(candidates))
      if (await removeOwnSockdir(this.parent, name)) removed.push(join(this.parent, name));
    return removed;
  }
}

/**
 * Removes every libguestfs socket directory whose `guestfsd.sock` no live socket is bound to:
 * what a SIGKILLed worker's runs left behind. Run when a worker starts. Empty directories are
 * left alone (a neighbour may be between mkdtemp and bind).
 */
export async function sweepDeadSockdirs(parent = ROOT_SOCKDIR_PARENT): Promise<string[]> {
  const live = new Set(
    [...(await boundSockets()).values()]
      .filter((p) => p.startsWith(join(parent, PREFIX)))
      .map((p) => p.slice(parent.length + 1).split("/")[0]!),
  );
  const removed: string[] = [];
  for (const name of await listLibguestfsDirs(parent)) {
    if (live.has(name)) continue;
    if (await removeOwnSockdir(parent, name)) removed.push(join(parent, name));
  }
  return removed;
}
