/**
 * The environment a child process of the worker gets: an allow-list, never the worker's own
 * environment (which holds DATABASE_URL, REDIS_URL and other secrets a hostile image could make
 * a tool print or a guest read). libguestfs and supermin read their LIBGUESTFS_* / SUPERMIN_*
 * settings, locale variables keep messages parseable.
 */
const NAMES = new Set(["PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "USER", "LOGNAME", "TERM", "XDG_RUNTIME_DIR"]);
const PREFIXES = ["LC_", "LIBGUESTFS_", "SUPERMIN_"];

/** Used when the worker has no PATH at all. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export const isAllowedEnvName = (name: string) => NAMES.has(name) || PREFIXES.some((p) => name.startsWith(p));

/**
 * Allow-listed variables of `base`, then `overrides` (an undefined override removes the
 * variable). Pass the result with `extendEnv: false`. Pure.
 */
export function childEnv(
  overrides: Record<string, string | undefined> = {},
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined && isAllowedEnvName(name)) env[name] = value;
  env.PATH ??= DEFAULT_PATH;
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}
