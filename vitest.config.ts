import { defineConfig } from "vitest/config";

export default defineConfig({
  // type-graphql is externalised and loads graphql's CJS build; alias the tests to the same
  // build or graphql refuses to run with two copies ("Duplicate graphql modules").
  resolve: { alias: { graphql: "graphql/index.js" } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Real virt-sparsify runs cost ~600 MB and one core each: never more than two files at once.
    maxWorkers: 2,
  },
});
