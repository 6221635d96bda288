/** Who the guest-data parser runs as, and which wrappers this host has. */
export interface SandboxPlan {
  /** The worker runs as root: drop to {@link uid}/{@link gid}, no capabilities, no network. */
  isRoot: boolean;
  /** @default 65534 (nobody) */
  uid?: number;
  /** @default 65534 (nogroup) */
  gid?: number;
  /** Absolute paths of the wrappers; a missing one is skipped (setpriv is required, see runUntrusted). */
  setpriv: string;
  prlimit?: string;
  unshare?: string;
}

/** Who runs the parser when the worker is root. */
export const PARSER_UID = 65534;
export const PARSER_GID = 65534;

/**
 * Resource limits for a parser of untrusted bytes: 1 GiB of address space (dumpe2fs of a
 * 16 GiB filesystem needs a few MiB), no file it could create or grow (stdout is a pipe, so
 * RLIMIT_FSIZE=0 costs nothing), no core dump of guest data, few descriptors.
 */
const LIMITS = ["--as=1073741824", "--fsize=0", "--core=0", "--nofile=64"];

/**
 * The argv that runs `command` as an untrusted-input parser. Pure.
 *
 * As root: `prlimit … unshare --net --ipc setpriv --reuid --regid --clear-groups` with every
 * capability set emptied (bounding, inheritable, ambient) and no_new_privs, so neither the
 * parser nor anything it could exec regains a privilege; no network to send guest data to.
 * Otherwise the worker has nothing to drop: no_new_privs and an empty inheritable set only.
 * `--pdeathsig KILL` in both: a parser outliving a SIGKILLed worker is killed too.
 */
export function sandboxArgv(command: readonly string[], plan: SandboxPlan): string[] {
  const limits = plan.prlimit ? [plan.prlimit, ...LIMITS, "--"] : [];
  if (!plan.isRoot) {
    return [...limits, plan.setpriv, "--no-new-privs", "--inh-caps=-all", "--pdeathsig=KILL", "--", ...command];
  }
  const isolate = plan.unshare ? [plan.unshare, "--net", "--ipc", "--"] : [];
  const drop = [
    plan.setpriv,
    `--reuid=${plan.uid ?? PARSER_UID}`,
    `--regid=${plan.gid ?? PARSER_GID}`,
    "--clear-groups",
    "--inh-caps=-all",
    "--ambient-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
    "--pdeathsig=KILL",
    "--",
  ];
  return [...limits, ...isolate, ...drop, ...command];
}
