import { execa } from "execa";
import { findExecutable } from "../find-executable.js";
import { dieWithService, OWN_SESSION } from "../own-session.js";
import { lookupUser, PARSER_USER } from "../parser-user.js";
import { EstimateUnavailableError } from "./estimate-unavailable-error.js";
import type { SandboxPlan } from "./sandbox-argv.js";

/** The wrappers without which no parser runs (util-linux). */
export const SANDBOX_TOOLS = ["prlimit", "unshare", "setpriv"] as const;

let cached: SandboxPlan | undefined;

/** Can this (non-root) worker create a user namespace with its network and mount namespaces? */
async function userNamespacesWork(unshare: string): Promise<string | null> {
  const result = await execa(...dieWithService(unshare, ["--user", "--net", "--mount", "--ipc", "--", "true"]), {
    ...OWN_SESSION,
    reject: false,
    stdin: "ignore",
    timeout: 5_000,
    extendEnv: false,
    env: { LC_ALL: "C" },
  });
  return result.exitCode === 0
    ? null
    : String(result.stderr || result.shortMessage)
        .trim()
        .slice(-300);
}

/**
 * The sandbox every parser of guest data runs in, or a refusal: the estimator never falls back to
 * running a parser with fewer walls. Only a complete plan is remembered, so installing a tool or
 * creating the user takes effect without a restart.
 * @throws {EstimateUnavailableError} SANDBOX_TOOL_MISSING, SANDBOX_USER_MISSING, SANDBOX_USERNS_UNAVAILABLE.
 */
export async function sandboxPlan(): Promise<SandboxPlan> {
  if (cached) return cached;
  const found = Object.fromEntries(SANDBOX_TOOLS.map((t) => [t, findExecutable(t)]));
  const missing = SANDBOX_TOOLS.filter((t) => !found[t]);
  if (missing.length) {
    throw new EstimateUnavailableError(
      "SANDBOX_TOOL_MISSING",
      `${missing.join(", ")} (util-linux) not found on this host: guest data is never parsed outside the sandbox`,
    );
  }
  const tools = { prlimit: found.prlimit!, unshare: found.unshare!, setpriv: found.setpriv! };
  if (process.geteuid?.() === 0) {
    const user = await lookupUser(PARSER_USER);
    if (!user || user.uid === 0)
      throw new EstimateUnavailableError(
        "SANDBOX_USER_MISSING",
        `the parser user ${PARSER_USER} does not exist on this host (the worker creates it at start when it can)`,
      );
    cached = { isRoot: true, ...tools, uid: user.uid, gid: user.gid };
  } else {
    const why = await userNamespacesWork(tools.unshare);
    if (why)
      throw new EstimateUnavailableError(
        "SANDBOX_USERNS_UNAVAILABLE",
        `this host does not let the worker's user create user namespaces: ${why}`,
      );
    cached = { isRoot: false, ...tools };
  }
  return cached;
}
