import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webUi } from "../../src/server/web-ui.js";
import { makeTempDir } from "../support/temp-dir.js";

const INDEX = "<!doctype html><div id=root></div>";

/** The static side of the UI on a real HTTP server, with a stand-in for the API mounted first. */
describe("webUi", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let server: http.Server;
  let base: string;
  const get = (p: string, accept = "text/html") => fetch(`${base}${p}`, { headers: { accept } });

  beforeAll(async () => {
    dir = await makeTempDir("web-ui-");
    await mkdir(path.join(dir.path, "assets"));
    await writeFile(path.join(dir.path, "index.html"), INDEX);
    await writeFile(path.join(dir.path, "assets", "index-abc123.js"), "console.log(1)");
    await writeFile(path.join(dir.path, "favicon.svg"), "<svg/>");
    const app = express();
    app.post("/graphql", (_req, res) => void res.json({ data: { ok: true } }));
    app.use(webUi({ dir: dir.path }));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await dir.remove();
  });

  it("serves index.html at / and at client routes, revalidated every time, with a same-origin CSP", async () => {
    for (const route of ["/", "/jobs", "/jobs/some-id"]) {
      const res = await get(route);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(INDEX);
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain(`connect-src 'self' ws://${new URL(base).host} wss://${new URL(base).host}`);
      expect(csp).toContain("frame-ancestors 'none'");
    }
  });

  it("caches hashed assets for a year; other files are revalidated", async () => {
    const asset = await get("/assets/index-abc123.js", "*/*");
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await get("/favicon.svg", "*/*")).headers.get("cache-control")).toBe("no-cache");
  });

  it("answers 404 for a missing file instead of the page, and never answers for the API", async () => {
    expect((await get("/assets/index-gone.js", "*/*")).status).toBe(404);
    expect((await get("/robots.txt")).status).toBe(404);
    for (const api of ["/graphql", "/healthz", "/readyz", "/metrics"]) expect((await get(api)).status).toBe(404); // Express's own 404
    const post = await fetch(`${base}/graphql`, { method: "POST" });
    expect(await post.json()).toEqual({ data: { ok: true } });
  });

  it("a Host header that is not a plain host name is not echoed into the CSP", async () => {
    const res = await new Promise<http.IncomingMessage>((resolve) =>
      http.get(`${base}/`, { headers: { host: "evil.example; script-src *" } }, resolve),
    );
    res.resume();
    expect(res.headers["content-security-policy"]).toContain("connect-src 'self';");
  });

  it("says how to build the UI when it was not built", async () => {
    await rm(path.join(dir.path, "index.html"));
    const res = await get("/");
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/The web UI is not built: run <code>npm run build:web<\/code>/);
    await writeFile(path.join(dir.path, "index.html"), INDEX);
    expect((await get("/")).status).toBe(200);
  });
});
