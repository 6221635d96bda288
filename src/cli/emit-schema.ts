import { parseArgs } from "node:util";
import { emitSchemaFile, printGatewaySchema } from "../server/print-schema.js";
import { argumentError, exitWithError } from "./fatal.js";

const USAGE = `Usage: node dist/src/cli/emit-schema.js [FILE] [--check]

Writes the gateway's GraphQL schema (SDL, sorted) to FILE (default: schema.graphql). npm run build
runs it after tsc. Needs no database, Redis or network.

  --check      only compare: exit 1 when FILE is stale (the default when CI=true)
  -h, --help   show this help`;

/**
 * `npm run build` runs this after tsc: writes schema.graphql at the repository root (or the path
 * given). Needs no database, Redis or network: the schema comes from the type-graphql classes.
 * With `--check`, or when CI=true, it only compares and exits 1 when the file is stale.
 */
async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: { check: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
  } catch (error) {
    throw argumentError(error, "emit-schema");
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return;
  }
  const target = parsed.positionals[0] ?? "schema.graphql";
  const check = parsed.values.check === true || process.env.CI === "true";
  if (!(await emitSchemaFile(target, await printGatewaySchema(), { check })) && check) {
    console.error(`${target} does not match the schema the code builds: run \`npm run build\` locally and commit ${target}.`);
    process.exitCode = 1;
  }
}

await main().catch(exitWithError);
