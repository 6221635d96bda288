import "reflect-metadata";
import { readFile, writeFile } from "node:fs/promises";
import { createPubSub } from "@graphql-yoga/subscription";
import { lexicographicSortSchema, printSchema } from "graphql";
import { buildGatewaySchema } from "./schema.js";

/**
 * The gateway's schema as SDL, sorted so that moving a resolver around does not show as a change.
 * This is what `schema.graphql` holds and what the web UI's types are generated from.
 */
export async function printGatewaySchema(): Promise<string> {
  const schema = await buildGatewaySchema(createPubSub());
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

/**
 * Writes `sdl` to `target`, or with `check` only compares: CI builds in check mode so that a
 * schema.graphql that was not regenerated and committed fails the build instead of being
 * silently rewritten in the CI checkout. Returns whether the file was (already) current.
 */
export async function emitSchemaFile(target: string, sdl: string, opts: { check: boolean }): Promise<boolean> {
  const current = await readFile(target, "utf8").catch(() => null);
  if (current === sdl) return true;
  if (!opts.check) await writeFile(target, sdl);
  return false;
}
