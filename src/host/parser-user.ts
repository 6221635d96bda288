import { execa } from "execa";
import type { Logger } from "pino";
import { findExecutable } from "./find-executable.js";
import { dieWithService, OWN_SESSION } from "./own-session.js";

/**
 * The unprivileged user the estimator's parsers (dumpe2fs, xfs_db) run as when the worker is
 * root. Dedicated rather than `nobody`: processes of one uid can signal and ptrace each other,
 * and other daemons run as nobody.
 */
export const PARSER_USER = "sparsify-parser";

export interface UserIds {
  uid: number;
  gid: number;
}

/** A passwd line (`name:x:uid:gid:…`) → its ids; undefined when malformed. Pure. */
export function parsePasswdLine(line: string): UserIds | undefined {
  const [, , uid, gid] = line.trim().split(":");
  const ids = { uid: Number(uid), gid: Number(gid) };
  return uid && gid && Number.isSafeInteger(ids.uid) && Number.isSafeInteger(ids.gid) ? ids : undefined;
}

/** The user's ids through NSS (`getent passwd`), or undefined when there is no such user. */
export async function lookupUser(name: string): Promise<UserIds | undefined> {
  const getent = findExecutable("getent");
  if (!getent) return undefined;
  const result = await execa(...dieWithService(getent, ["passwd", name]), {
    ...OWN_SESSION,
    reject: false,
    stdin: "ignore",
    timeout: 5_000,
    extendEnv: false,
    env: { LC_ALL: "C" },
  });
  return result.exitCode === 0 ? parsePasswdLine(String(result.stdout).split("\n")[0] ?? "") : undefined;
}

/**
 * Creates {@link PARSER_USER} when missing (root only): a system user without home or login
 * shell. Never throws: without the user the estimator refuses (SANDBOX_USER_MISSING) and says so.
 */
export async function ensureParserUser(log: Logger): Promise<UserIds | undefined> {
  const existing = await lookupUser(PARSER_USER);
  if (existing || process.geteuid?.() !== 0) return existing;
  const useradd = findExecutable("useradd");
  if (!useradd) {
    log.warn(`useradd is missing: create the user ${PARSER_USER} by hand, or estimates are refused (SANDBOX_USER_MISSING)`);
    return undefined;
  }
  const result = await execa(
    ...dieWithService(useradd, [
      "--system",
      "--no-create-home",
      "--home-dir",
      "/nonexistent",
      "--shell",
      "/usr/sbin/nologin",
      "--user-group",
      PARSER_USER,
    ]),
    {
      ...OWN_SESSION,
      reject: false,
      stdin: "ignore",
      timeout: 30_000,
    },
  );
  const created = await lookupUser(PARSER_USER);
  if (created) log.info({ user: PARSER_USER, ...created }, "created the estimator's parser user");
  else
    log.warn(
      { err: String(result.stderr).trim() },
      `could not create the user ${PARSER_USER}: estimates are refused (SANDBOX_USER_MISSING)`,
    );
  return created;
}
