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
