import "reflect-metadata";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { Role } from "../domain/roles.js";
import { openDatabase } from "../server/database.js";
import { InfraUnavailableError } from "../server/infra-errors.js";
import { TokenService } from "../services/token.service.js";

/**
 * npm run token:create -- --role admin [--name ops-1] [--expires-in-days 90]
 * Prints the secret alone on the last line, once: only its digest is stored.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { role: { type: "string" }, name: { type: "string" }, "expires-in-days": { type: "string" } },
  });
  const role = values.role as Role;
  if (!Object.values(Role).includes(role)) throw new ConfigError(`--role must be one of ${Object.values(Role).join(", ")}`);
  const days = values["expires-in-days"] ? Number(values["expires-in-days"]) : null;
  if (days !== null && !(days > 0)) throw new ConfigError("--expires-in-days must be a positive number");
  const config = loadConfig();
  const db = await openDatabase(config.DATABASE_URL);
  try {
    const name = values.name ?? `${role}-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "")}`;
    const { token, secret } = await new TokenService(db, null).create({ name, role, expiresAt: days ? new Date(Date.now() + days * 86_400_000) : null }, "cli");
    console.error(`Created ${token.role} token "${token.name}"${token.expiresAt ? `, expires ${token.expiresAt.toISOString()}` : ""}. Store it now: it is not shown again.`);
    console.log(secret);
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof InfraUnavailableError ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
