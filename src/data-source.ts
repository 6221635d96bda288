import "reflect-metadata";
import { DataSource, type LoggerOptions } from "typeorm";
import { entities } from "./entities/index.js";
import { migrations } from "./migrations/index.js";

/** The one DataSource factory: migrations, never synchronize. */
export function createDataSource(url: string, logging: LoggerOptions = false): DataSource {
  return new DataSource({
    type: "postgres",
    url,
    entities,
    migrations,
    migrationsRun: false,
    synchronize: false,
    logging,
    extra: { max: 20, connectionTimeoutMillis: 5_000 },
  });
}

/** For the TypeORM CLI (`migration:generate`) only. */
export default createDataSource(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/sparsify_migrations");
