import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SPOOL_PREFIX } from "./reading-spool.js";

/**
 * The pid that owns a spool directory, read from its name (`sparsify-scan-<pid>-<suffix>`), or
 * null for any other name: only names this process family writes are ever candidates for removal.
 */
export function spoolOwnerPid(name: string): number | null {
  const match = new RegExp(`^${SPOOL_PREFIX}([1-9][0-9]{0,9})-[A-Za-z0-9]{6}$`).exec(name);
  if (!match) return null;
  const pid = Number(match[1]);
  return pid <= 0x3fffffff ? pid : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists under another user; only ESRCH proves it gone.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * Removes the spool directories that scans of killed workers left behind (a SIGKILL skips the
 * scan's `finally`). The temp directories are shared and world-writable, so a candidate must be a
 * private (0700) real directory (not a symlink) owned by this user, named by a dead pid; a live owner's spool, on
 * this host or a scan still running, is never touched. Returns the removed paths.
 */
export async function sweepOrphanSpools(parents: readonly string[] = [os.tmpdir(), "/var/tmp", "/tmp"]): Promise<string[]> {
  const removed: string[] = [];
  const uid = process.getuid?.() ?? -1;
  for (const parent of new Set(await Promise.all(parents.map((p) => fs.realpath(p).catch(() => null))))) {
    if (!parent) continue;
    for (const name of await fs.readdir(parent).catch(() => [] as string[])) {
      const pid = spoolOwnerPid(name);
      if (pid === null || pid === process.pid || isAlive(pid)) continue;
      const dir = path.join(parent, name);
      const stat = await fs.lstat(dir).catch(() => null);
      // As the spool made it: a private directory (0700), so nobody else could have planted anything in it.
      if (!stat?.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) continue;
      await fs.rm(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}
