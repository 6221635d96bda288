import { buildSchema, findBreakingChanges, findDangerousChanges } from "graphql";

/** What changed between two SDL texts that a client written against `before` could notice. */
export function compareSchemas(before: string, after: string): { breaking: string[]; dangerous: string[] } {
  const [a, b] = [buildSchema(before), buildSchema(after)];
  return {
    breaking: findBreakingChanges(a, b).map((c) => `${c.type}: ${c.description}`),
    dangerous: findDangerousChanges(a, b).map((c) => `${c.type}: ${c.description}`),
  };
}
