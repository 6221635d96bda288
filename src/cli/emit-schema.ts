import { writeFile } from "node:fs/promises";
import { printGatewaySchema } from "../server/print-schema.js";

/**
 * `npm run build` runs this after tsc: writes schema.graphql at the repository root (or the path
 * given). Needs no database, Redis or network: the schema comes from the type-graphql classes.
 */
const target = process.argv[2] ?? "schema.graphql";
await writeFile(target, await printGatewaySchema());
