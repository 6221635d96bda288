import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { Router, type Request, type Response } from "express";

/** Options of {@link webUi}. */
export interface WebUiOptions {
  /**
   * Directory holding the built UI (`index.html` and hashed `assets/`).
   * @default `web/dist` of the package this file belongs to, found from the module's location so
   * the same code works from `src/` (tests) and `dist/src/` (npm start, containers).
   */
  dir?: string;
}

/** Paths the UI must never answer, even for a browser asking for HTML: they belong to the API. */
const API_PATHS = /^\/(graphql|healthz|readyz|metrics)(\/|$)/;
/** A host header we are willing to echo into the CSP (host name or IPv4/IPv6 literal, optional port). */
const SAFE_HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i;
const NOT_BUILT =
  "<!doctype html><title>Sparsify</title><p>The web UI is not built: run <code>npm run " +
  "build:web</code> (or <code>npm run build</code>) and reload this page.</p>\n";

/** The package root: the nearest directory above this module that holds a package.json. */
function packageRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

/**
 * Same origin only: scripts and styles are files of the build (no inline code, no CDN), and the
 * page talks to /graphql over HTTP and WebSocket on the host it was loaded from. `'self'` covers
 * ws:/wss: in CSP 3, but older engines need the WebSocket origins spelled out.
 */
function contentSecurityPolicy(host: string | undefined): string {
  const ws = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : "";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${ws}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function securityHeaders(req: Request, res: Response): void {
  res.setHeader("Content-Security-Policy", contentSecurityPolicy(req.headers.host));
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("X-Frame-Options", "DENY");
}

/**
 * The web UI at `/`: hashed assets cached for a year, `index.html` revalidated on every load (so
 * a rebuild shows at once), `index.html` for client routes such as `/jobs`, 404 for files that do
 * not exist. Mount it after the API routes; it never answers /graphql, /healthz, /readyz or /metrics.
 */
export function webUi(opts: WebUiOptions = {}): Router {
  const dir = path.resolve(opts.dir ?? path.join(packageRoot(), "web", "dist"));
  const index = path.join(dir, "index.html");
  const router = Router();

  router.use(
    express.static(dir, {
      index: false,
      redirect: false,
      setHeaders: (res, file) => {
        const hashed = file.startsWith(path.join(dir, "assets") + path.sep);
        res.setHeader("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
        res.setHeader("X-Content-Type-Options", "nosniff");
      },
    }),
  );

  router.use((req, res, next) => {
    if ((req.method !== "GET" && req.method !== "HEAD") || API_PATHS.test(req.path)) return next();
    // A missing asset must be a 404, not the HTML page (a stale tab would parse it as JavaScript).
    if (path.extname(req.path) !== "" || req.path.startsWith("/assets/"))
      return void res.status(404).type("text").send("Not found\n");
    securityHeaders(req, res);
    res.setHeader("Cache-Control", "no-cache");
    res.sendFile(index, (error) => {
      if (!error || res.headersSent) return;
      res.status(503).type("html").send(NOT_BUILT);
    });
  });
  return router;
}
