import fs from "node:fs/promises";
import { isInside } from "../domain/storage-path.js";
import { probePath } from "./storage-probe.js";

/** What the check needs of a storage domain; the caller's own records come back as they went in. */
export interface DomainLocation {
  path: string;
}

export interface Visibility<D extends DomainLocation> {
  visible: D[];
  /** Domains under this host's roots that it cannot reach, with the reason. */
  unreachable: { domain: D; reason: string }[];
}

/**
 * Which domains under this host's storage roots exist here as readable directories. Each is first
 * stat'ed in a child with `probeTimeoutMs` (see `probePath`): hung storage is reported as such
 * instead of blocking the worker. The caller reads `domains` from the database (src/host does not).
 */
export async function checkVisibility<D extends DomainLocation>(
  domains: readonly D[],
  roots: readonly string[],
  hostName: string,
  probeTimeoutMs = 10_000,
): Promise<Visibility<D>> {
  const out: Visibility<D> = { visible: [], unreachable: [] };
  const ours = domains.filter((domain) => roots.some((root) => isInside(domain.path, root)));
  // In parallel: one hung domain must not delay the others by its timeout.
  const probes = await Promise.all(ours.map((domain) => probePath(domain.path, probeTimeoutMs, { readDir: true })));
  for (const [i, domain] of ours.entries()) {
    const probe = probes[i]!;
    if (!probe.ok && probe.condition === "HUNG") {
      out.unreachable.push({ domain, reason: `${probe.reason} on host ${hostName}` });
      continue;
    }
    try {
      const st = await fs.stat(domain.path);
      if (!st.isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
      // The gateway only checked the path's form; a symlink on the host may lead elsewhere.
      const real = await fs.realpath(domain.path);
      if (!roots.some((root) => isInside(real, root))) throw Object.assign(new Error("escapes"), { code: "ESCAPES_ROOTS" });
      await fs.access(domain.path, fs.constants.R_OK | fs.constants.X_OK);
      out.visible.push(domain);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      const why =
        code === "ENOENT"
          ? "does not exist"
          : code === "ENOTDIR"
            ? "is not a directory"
            : code === "EACCES"
              ? "is not readable"
              : code === "ESCAPES_ROOTS"
                ? "resolves (through a symlink) outside the storage roots"
                : code;
      out.unreachable.push({ domain, reason: `${domain.path} ${why} on host ${hostName}` });
    }
  }
  return out;
}
