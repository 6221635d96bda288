/**
 * Cross-site WebSocket hijacking: browsers send Origin on upgrades, and Apollo's CSRF check
 * does not cover them. Non-browser clients send none and are allowed; a browser page may connect
 * from the gateway's own origin or an allow-listed one.
 */
export function isOriginAllowed(origin: string | undefined, host: string | undefined, allowList: readonly string[]): boolean {
  if (!origin) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (host && parsed.host === host) return true;
  return allowList.some((allowed) => allowed === "*" || allowed.replace(/\/+$/, "") === parsed.origin);
}
