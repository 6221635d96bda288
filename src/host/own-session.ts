import { existsSync } from "node:fs";
import { isAbsolute } from "node:path";
import { findExecutable } from "./find-executable.js";
import { toolPath } from "./tools.js";

/**
 * Spawn options every tool of the service runs with: a session of its own (`detached` is setsid).
 * A Ctrl-C on the terminal, or a signal to the service's whole process group, then reaches the
 * service alone, which drains or stops its children itself; a `find` or `virsh` killed by the
 * terminal's SIGINT would otherwise fail the scan or the libvirt link it served.
 */
export const OWN_SESSION = { detached: true } as const;

/** The signal a tool gets when the service dies (`setpriv --pdeathsig`). */
export type DeathSignal = "KILL" | "TERM";

/**
 * `file args` run under `setpriv --pdeathsig=SIG --`, so the tool still dies with the service: a
 * child in a session of its own gets no signal meant for the service, and execa's exit cleanup
 * skips detached children. setpriv execs the tool (same pid), so kills on abort or deadline reach
 * the tool itself. Without setpriv, or for a program that does not exist (so that spawning it fails
 * with ENOENT as callers expect, not with setpriv's exit 127), the command is returned as it is; a
 * bare name is looked up on PATH here, as spawn would.
 */
export function dieWithService(file: string, args: readonly string[], signal: DeathSignal = "KILL"): [string, string[]] {
  const [setpriv, ...rest] = deathSignalWrapper(signal);
  const program = isAbsolute(file) ? (existsSync(file) ? file : undefined) : findExecutable(file);
  if (!setpriv || !program) return [file, [...args]];
  return [setpriv, [...rest, program, ...args]];
}

/** `setpriv --pdeathsig=SIG --`, for a tool started behind another wrapper (prlimit); [] without setpriv. */
export function deathSignalWrapper(signal: DeathSignal): string[] {
  const setpriv = toolPath("setpriv");
  return setpriv ? [setpriv, `--pdeathsig=${signal}`, "--"] : [];
}
