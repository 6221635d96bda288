import react from "@vitejs/plugin-react";
import { defineConfig, type UserConfig } from "vite";

/**
 * Built by `npm run build:web` (`vite build web`) into web/dist, which the gateway serves at `/`.
 * `npm run dev:web` serves it with hot reload and proxies /graphql (HTTP and WebSocket) to a
 * gateway on :4000; the proxy keeps the browser's Host, so the gateway's Origin check passes.
 */
export default defineConfig(({ command }) => {
  // A build is for production even when the shell says otherwise (vitest sets NODE_ENV=test,
  // developers may export development): Vite and the JSX transform would pick React's
  // development build, twice the size and slower.
  if (command === "build") process.env.NODE_ENV = "production";
  return config;
});

const config: UserConfig = {
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    // Inlined assets would need `data:` for scripts and styles in the gateway's CSP.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: { "/graphql": { target: "http://127.0.0.1:4000", ws: true } },
  },
};
