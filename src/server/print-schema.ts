import "reflect-metadata";
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
