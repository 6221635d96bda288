import { emitSchemaFile, printGatewaySchema } from "../server/print-schema.js";

/**
 * `npm run build` runs this after tsc: writes schema.graphql at the repository root (or the path
 * given). Needs no database, Redis or network: the schema comes from the type-graphql classes.
 * With `--check`, or when CI=true, it only compares and exits 1 when the file is stale.
 */
const target = process.argv.slice(2).find((a) => !a.startsWith("--")) ?? "schema.graphql";
const check = process.argv.includes("--check") || process.env.CI === "true";
if (!(await emitSchemaFile(target, await printGatewaySchema(), { check })) && check) {
  console.error(`${target} does not match the schema the code builds: run \`npm run build\` locally and commit ${target}.`);
  process.exitCode = 1;
}
