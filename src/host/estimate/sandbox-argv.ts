/** Who the guest-data parser runs as, and the wrappers that confine it (all three required). */
export interface SandboxPlan {
  /** The worker runs as root: drop to {@link uid}/{@link gid}. Otherwise: a user namespace. */
  isRoot: boolean;
  /** The dedicated parser user's uid (see `PARSER_USER`); required as root. */
  uid?: number;
  gid?: number;
  /** Absolute paths of the wrappers; `sandboxPlan` refuses to build a plan without any of them. */
  setpriv: string;
  prlimit: string;
  unshare: string;
  /** Overrides of {@link PARSER_LIMITS} (tests lower them to see them bite). */
  limits?: Partial<ParserLimits>;
}

/** Resource limits of one parser process (prlimit). */
export interface ParserLimits {
  /** RLIMIT_AS. dumpe2fs of a 16 GiB filesystem needs a few MiB. */
  addressSpaceBytes: number;
  /** RLIMIT_CPU: a parser looping on a crafted filesystem is killed (SIGXCPU, then SIGKILL). */
  cpuSeconds: number;
  /**
   * RLIMIT_NPROC: counted per real uid, i.e. across every parser of the dedicated user on the
   * host; a fork bomb stops there. dumpe2fs and xfs_db are single processes.
   */
  processes: number;
}

export const PARSER_LIMITS: ParserLimits = { addressSpaceBytes: 1024 ** 3, cpuSeconds: 30, processes: 64 };

function limitArgs(limits: ParserLimits): string[] {
  // No file it could create or grow (stdout is a pipe, so RLIMIT_FSIZE=0 costs nothing), no core
  // dump of guest data, few descriptors.
  return [
    `--as=${limits.addressSpaceBytes}`,
    `--cpu=${limits.cpuSeconds}`,
    `--nproc=${limits.processes}`,
    "--fsize=0",
    "--core=0",
    "--nofile=64",
  ];
}

/**
 * The argv that runs `command` as an untrusted-input parser. Pure.
 *
 * Always: prlimit (address space, CPU time, processes, no files, no core), then unshare of the
 * network (only a down `lo`: nowhere to send guest data), mount and IPC namespaces, then setpriv
 * with no_new_privs and `--pdeathsig KILL` (a parser never outlives a SIGKILLed worker). Every
 * wrapper execs the next, so the parser is the worker's direct child.
 *
 * As root: setpriv drops to the dedicated parser user (never the shared `nobody`, whose other
 * processes it could signal or ptrace), no supplementary groups, every capability set emptied.
 * As non-root: `unshare --user` first, so the worker needs no privilege to create the other
 * namespaces; the parser's uid is unmapped inside, so it holds no capability there after exec.
 */
export function sandboxArgv(command: readonly string[], plan: SandboxPlan): string[] {
  const limits = [plan.prlimit, ...limitArgs({ ...PARSER_LIMITS, ...plan.limits }), "--"];
  if (!plan.isRoot) {
    const isolate = [plan.unshare, "--user", "--net", "--mount", "--ipc", "--"];
    return [...limits, ...isolate, plan.setpriv, "--no-new-privs", "--inh-caps=-all", "--pdeathsig=KILL", "--", ...command];
  }
  if (plan.uid === undefined || plan.gid === undefined || plan.uid === 0)
    throw new Error("sandboxArgv: a root plan needs the parser user's uid and gid");
  const isolate = [plan.unshare, "--net", "--mount", "--ipc", "--"];
  const drop = [
    plan.setpriv,
    `--reuid=${plan.uid}`,
    `--regid=${plan.gid}`,
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
