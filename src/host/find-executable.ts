import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

// Tools like mke2fs and setpriv live in sbin, which a non-root PATH often lacks.
const SBIN_FALLBACK = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** The absolute path of an executable found on PATH (then the sbin dirs), or undefined. */
export function findExecutable(name: string, path = process.env.PATH ?? ""): string | undefined {
  const dirs = [...path.split(delimiter).filter(Boolean), ...SBIN_FALLBACK];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
