import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";

const WEB = path.resolve("web");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "dist" || entry.name === "node_modules") continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Builds web/dist when it is missing or older than web/'s sources, so a test run on its own
 * (`npx vitest run test/e2e/web-ui.e2e.test.ts`) checks the UI as the sources are now.
 * `npm test` builds first, and then this does nothing.
 */
export async function ensureWebBuilt(): Promise<void> {
  const index = path.join(WEB, "dist", "index.html");
  // The UI's API types come from schema.graphql: a newer schema means a rebuild too.
  const newest = Math.max(newestSource(WEB), statSync("schema.graphql").mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= newest) return;
  await execa("npm", ["run", "codegen", "--silent"], { stdio: "inherit" });
  await execa("npx", ["vite", "build", "web", "--logLevel", "warn"], { stdio: "inherit" });
}
