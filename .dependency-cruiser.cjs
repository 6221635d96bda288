// The layer direction of src/ (README "Layers"): entities ← domain ← services ← resolvers/server and cli,
// with the queue transport (src/jobs/queue) beside services, the worker runtime (src/jobs/worker) on top of
// services, queue and host, and src/host beside domain: it touches no database. "A ← B" means B may import A,
// never the reverse. Checked by test/unit/layers.test.ts (inside `npm test`); run it alone with
// `npx depcruise src --config .dependency-cruiser.cjs`.

/** The API layer: GraphQL types and resolvers, HTTP/WebSocket wiring, the command line. */
const API = "^src/(schema|resolvers|server|cli)/";
/** Entry points that assemble everything. */
const ROOTS = "^src/(main|shutdown)\\.ts$";
/** The database: TypeORM entities, migrations, the data source, and the drivers. */
const DATABASE = ["^src/entities/", "^src/migrations/", "^src/data-source\\.ts$", "^node_modules/(typeorm|pg)/"];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "No import cycles: each layer must be loadable (and understandable) without the ones above it.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "entities-are-the-bottom",
      severity: "error",
      comment: "Entities import only each other (and TypeORM): enums they store live in src/entities.",
      from: { path: "^src/entities/" },
      to: { path: "^src/", pathNot: "^src/entities/" },
    },
    {
      name: "domain-imports-only-entities",
      severity: "error",
      comment: "Domain rules are pure: they may read entity types and enums, nothing with I/O above them.",
      from: { path: "^src/domain/" },
      to: { path: "^src/", pathNot: ["^src/domain/", "^src/entities/"] },
    },
    {
      name: "host-touches-no-database",
      severity: "error",
      comment:
        "src/host runs tools on a host; it imports neither the database (TypeORM, pg, entities) nor services, " +
        "queue, worker or API. Enums it needs come re-exported from src/domain.",
      from: { path: "^src/host/" },
      to: { path: [...DATABASE, "^src/(services|jobs|schema|resolvers|server|cli)/", ROOTS] },
    },
    {
      name: "services-below-api-and-worker",
      severity: "error",
      comment: "Services are called by resolvers, server, cli and the worker; they never import them.",
      from: { path: "^src/services/" },
      to: { path: [API, "^src/jobs/worker/", ROOTS] },
    },
    {
      name: "queue-beside-services",
      severity: "error",
      comment: "The queue transport (names, catalog, event bus) is used by services and the worker; it imports neither.",
      from: { path: "^src/jobs/queue/" },
      to: { path: [API, "^src/services/", "^src/jobs/worker/", "^src/host/", ROOTS] },
    },
    {
      name: "worker-below-api",
      severity: "error",
      comment: "The worker runtime uses services, queue and host; the API layer and entry points start it, not the reverse.",
      from: { path: "^src/jobs/worker/" },
      to: { path: [API, ROOTS] },
    },
    {
      name: "api-not-imported-below",
      severity: "error",
      comment: "Only the API layer itself and the entry points import schema, resolvers, server and cli.",
      from: { path: "^src/", pathNot: [API, ROOTS] },
      to: { path: API },
    },
    {
      name: "shared-modules-are-leaves",
      severity: "error",
      comment:
        "config (with its REDIS_URL parser), errors, logger and metrics are imported from every layer, so they import none.",
      from: { path: "^src/(config|errors|logger|metrics|redis-url)\\.ts$" },
      to: { path: "^src/", pathNot: "^src/(config|errors|logger|metrics|redis-url)\\.ts$" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import the checker cannot resolve is an import it cannot check.",
      from: { path: "^src/" },
      to: { couldNotResolve: true, pathNot: "^graphql-ws/use/ws$" },
    },
  ],
  options: {
    // The TypeScript 7 compiler has no JavaScript API; swc parses TypeScript (decorators included) instead.
    parser: "swc",
    tsConfig: { fileName: "tsconfig.json" },
    // `import type` counts: a type-only import still ties one layer's code to another's.
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/.*\\.d\\.ts$" },
  },
};
