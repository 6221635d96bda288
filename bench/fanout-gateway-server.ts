/**
 * bench:fanout's server under test: the real gateway (startGateway) in a process of its own.
 * Argument: the environment for loadConfig, as JSON. Its subscribers authenticate with a viewer
 * token, as a dashboard would.
 */
import "reflect-metadata";
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { loadConfig } from "../src/config.js";
import { Role } from "../src/domain/roles.js";
import { openDatabase } from "../src/server/database.js";
import { startGateway } from "../src/server/gateway.js";
import { serveParent } from "./fanout-server-process.js";

const config = loadConfig(JSON.parse(process.argv[2]!) as Record<string, string>);
const db = await openDatabase(config.DATABASE_URL);
const gateway = await startGateway(config, db, pino({ level: config.LOG_LEVEL }));
const { secret } = await gateway.services.tokens.create(
  { name: `bench-fanout-${randomBytes(4).toString("hex")}`, role: Role.VIEWER },
  "bench",
);

serveParent({ wsUrl: gateway.url.replace(/^http/, "ws"), token: secret }, async () => {
  await gateway.close();
  await db.destroy();
});
