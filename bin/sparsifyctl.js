#!/usr/bin/env node
// `npx sparsifyctl …` from the repository: runs the built client (npm run build makes it).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/src/cli/sparsifyctl/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("sparsifyctl: not built yet; run npm run build (or npm ci && npm run build) in the repository first\n");
  process.exit(2);
}
await import(main.href);
