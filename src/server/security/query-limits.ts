import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { Lexer, Source, TokenKind, type GraphQLError, type ValidationContext, type ValidationRule } from "graphql";
import type { Config } from "../../config.js";
import { AppError, ErrorCode } from "../../errors.js";

/** Directives per operation: no client of ours needs more; not a setting. */
export const MAX_QUERY_DIRECTIVES = 50;

/** The codes a refused query can carry, one per limit. */
export const QUERY_LIMIT_CODES: ReadonlySet<string> = new Set([
  ErrorCode.QUERY_TOO_COMPLEX,
  ErrorCode.QUERY_TOO_DEEP,
  ErrorCode.TOO_MANY_ALIASES,
  ErrorCode.TOO_MANY_DIRECTIVES,
  ErrorCode.TOO_MANY_TOKENS,
]);

type Measure = { code: ErrorCode; what: string; found: string; limit: number; setting: string };

const limitError = (m: Measure, found: number) =>
  new AppError(m.code, `The query's ${m.what} is ${found}, over the limit of ${m.limit} (${m.setting})`, {
    [m.found]: found,
    limit: m.limit,
  });

/**
 * graphql-armor's rules as plain validation rules, shared by HTTP (Apollo) and WebSocket
 * (graphql-ws onSubscribe). Each rule only measures (its own limit is set out of reach): its
 * rejection is a "Syntax Error" without the number found, so we compare and report a typed error
 * naming the limit, e.g. QUERY_TOO_COMPLEX with `cost` and `limit` in extensions.
 */
export function queryLimitRules(config: Config): ValidationRule[] {
  const measured = (rule: (o: object) => ValidationRule, m: Measure, options: object = {}): ValidationRule =>
    rule({
      ...options,
      n: Number.MAX_SAFE_INTEGER,
      maxCost: Number.MAX_SAFE_INTEGER,
      propagateOnRejection: false,
      onAccept: [
        (ctx: ValidationContext | null, { n }: { n: number }) =>
          n > m.limit && ctx?.reportError(limitError(m, n) as GraphQLError),
      ],
    });
  const rule = <T>(r: T) => r as unknown as (o: object) => ValidationRule;
  return [
    measured(rule(maxDepthRule), {
      code: ErrorCode.QUERY_TOO_DEEP,
      what: "depth",
      found: "depth",
      limit: config.MAX_QUERY_DEPTH,
      setting: "MAX_QUERY_DEPTH",
    }),
    measured(rule(maxAliasesRule), {
      code: ErrorCode.TOO_MANY_ALIASES,
      what: "number of aliases",
      found: "aliases",
      limit: config.MAX_QUERY_ALIASES,
      setting: "MAX_QUERY_ALIASES",
    }),
    measured(rule(maxDirectivesRule), {
      code: ErrorCode.TOO_MANY_DIRECTIVES,
      what: "number of directives",
      found: "directives",
      limit: MAX_QUERY_DIRECTIVES,
      setting: "fixed",
    }),
    measured(rule(costLimitRule), {
      code: ErrorCode.QUERY_TOO_COMPLEX,
      what: "cost",
      found: "cost",
      limit: config.MAX_QUERY_COST,
      setting: "MAX_QUERY_COST",
    }),
  ];
}

/**
 * TOO_MANY_TOKENS when `query` has more than `max` tokens (counted as graphql-js's parser counts
 * them: comments excluded), else null. Runs before parsing, because the parser's own maxTokens
 * reports a "Syntax Error". Stops counting at max + 1; lexing errors are left to the parser.
 */
export function tokenLimitError(query: unknown, max: number): AppError | null {
  if (typeof query !== "string") return null;
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++count > max) {
        return new AppError(ErrorCode.TOO_MANY_TOKENS, `The query has more than ${max} tokens, the limit (MAX_QUERY_TOKENS)`, {
          tokens: `>${max}`,
          limit: max,
        });
      }
    }
  } catch {
    return null;
  }
  return null;
}
