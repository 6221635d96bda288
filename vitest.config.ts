import path from "node:path";
import { defineConfig } from "vitest/config";
import { compiledSrc } from "./test/support/compiled-src.js";

const root = path.resolve(".");

export default defineConfig({
  // type-graphql is externalised and loads graphql's CJS build; alias the tests to the same
  // build or graphql refuses to run with two copies ("Duplicate graphql modules").
  resolve: { alias: { graphql: "graphql/index.js" } },
  // Tests import src/ from tsc's output (dist/src), loaded natively by Node: the same code npm start
  // runs, without re-evaluating ~300 modules through vitest's module runner in every test file.
  plugins: [compiledSrc(root)],
  test: {
    // Compiles dist/ first when src/ is newer (a run straight after an edit).
    globalSetup: ["test/support/build-if-stale.ts"],
    server: { deps: { external: [/\/dist\/src\//] } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll's own default is 1 s: too short for a server round trip on a loaded 2-core CI
    // (a page's text after a GraphQL call, a lock after a query). A passing poll returns at once.
    expect: { poll: { timeout: 10_000 } },
    // Real virt-sparsify runs cost ~600 MB and one core each: never more than two files at once.
    maxWorkers: 2,
    projects: [
      // Real services, processes and appliances: a fresh process per file, as before.
      { extends: true, test: { name: "stack", include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"] } },
      // Pure code: files share their worker process (about 0.2 s of CPU less per file, ~40 % of
      // the unit tests' CPU). Named after "stack", they run last and fill the run's tail.
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], isolate: false } },
    ],
  },
});
