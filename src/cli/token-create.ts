import "reflect-metadata";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { Role } from "../domain/roles.js";
import { openDatabase } from "../server/database.js";
import { redact } from "../server/infra-errors.js";
import { checkDependencies } from "../server/preflight.js";
import { TokenService } from "../services/token.service.js";
import { loadEnvFile } from "./env-file.js";
import { argumentError, exitWithError } from "./fatal.js";

const USAGE = `Usage: npm run token:create -- --role viewer|operator|admin [--name NAME] [--expires-in-days N]
                              [--env-file FILE] [--create-db]

Creates an API token in the database of DATABASE_URL (the one the gateway uses) and prints its
secret alone on the last line, once: only its digest is stored.

  --role ROLE            viewer (queries), operator (also sparsify/cancel) or admin (everything)
  --name NAME            a name to recognise it by (default: ROLE-YYYYMMDDhhmmss)
  --expires-in-days N    expire after N days (default: never)
  --env-file FILE        read settings from FILE (default: ./.env when it exists)
  --create-db            create the database if it is missing (only "sparsify" is created without it)
  -h, --help             show this help`;

/** npm run token:create -- --role admin [--name ops-1] [--expires-in-days 90] */
async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: "string" },
        name: { type: "string" },
        "expires-in-days": { type: "string" },
        "env-file": { type: "string" },
        "create-db": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw argumentError(error, "npm run token:create --");
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const role = values.role as Role;
  if (!Object.values(Role).includes(role))
    throw new ConfigError(`--role must be one of ${Object.values(Role).join(", ")} (see --help)`);
  const days = values["expires-in-days"] ? Number(values["expires-in-days"]) : null;
  if (days !== null && !(days > 0)) throw new ConfigError("--expires-in-days must be a positive number");
  loadEnvFile(values["env-file"]);
  const config = loadConfig();
  await checkDependencies(config, { createDatabase: values["create-db"] === true, redis: false });
  const db = await openDatabase(config.DATABASE_URL);
  try {
    const name = values.name ?? `${role}-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "")}`;
    const { token, secret } = await new TokenService(db, null).create(
      { name, role, expiresAt: days ? new Date(Date.now() + days * 86_400_000) : null },
      "cli",
    );
    console.error(
      `Created ${token.role} token "${token.name}" in database ${redact(config.DATABASE_URL)}` +
        `${token.expiresAt ? `, expires ${token.expiresAt.toISOString()}` : ""}. Store it now: it is not shown again.`,
    );
    console.log(secret);
  } finally {
    await db.destroy();
  }
}

main().catch(exitWithError);
