import { findExecutable } from "./find-executable.js";

/** Every program the worker runs on images or for housekeeping. */
export const HOST_TOOLS = [
  "qemu-img",
  "qemu-io",
  "qemu-storage-daemon",
  "virt-sparsify",
  "setpriv",
  "prlimit",
  "unshare",
  "fusermount3",
  "fusermount",
  "filefrag",
  "find",
  "stat",
  "dd",
] as const;
export type HostTool = (typeof HOST_TOOLS)[number];

const resolved = new Map<string, string | undefined>();

/**
 * Resolves the tools' absolute paths once (at worker start: see {@link resolveHostTools}), so a
 * PATH changed later, or a program planted in a writable PATH directory afterwards, is never run.
 */
export function toolPath(name: HostTool): string | undefined {
  if (!resolved.has(name)) resolved.set(name, findExecutable(name));
  return resolved.get(name);
}

/**
 * The absolute path of a tool, or its bare name when it is not installed: spawning that fails
 * with ENOENT, which callers already report as "could not be run".
 */
export const toolCommand = (name: HostTool): string => toolPath(name) ?? name;

/** Resolves every tool now; returns the missing ones. */
export function resolveHostTools(): HostTool[] {
  return HOST_TOOLS.filter((name) => toolPath(name) === undefined);
}

/** Tools every image read needs (qemu-img under prlimit), with the Debian package of each. */
const IMAGE_READING_TOOLS: Partial<Record<HostTool, string>> = { "qemu-img": "qemu-utils", prlimit: "util-linux" };

/** A host worker that could read no image at all: it does not start (the message says the fix). */
export class HostToolsMissingError extends Error {
  override readonly name = "HostToolsMissingError";
}

/**
 * Throws {@link HostToolsMissingError} when `missing` holds a tool without which no image is read:
 * every disk would then look unreadable (ILLEGAL), which says nothing of the host.
 */
export function assertImageToolsPresent(missing: readonly HostTool[]): void {
  const absent = missing.filter((tool) => IMAGE_READING_TOOLS[tool]);
  if (!absent.length) return;
  const packages = [...new Set(absent.map((tool) => IMAGE_READING_TOOLS[tool]!))].join(" ");
  throw new HostToolsMissingError(
    `This host worker cannot read images: ${absent.join(" and ")} not found on its PATH. ` +
      `Fix: install it (\`apt-get install ${packages}\` on Debian or Ubuntu), then start the worker again.`,
  );
}
