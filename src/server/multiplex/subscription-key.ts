import type { Role } from "../../domain/roles.js";

/** Everything a subscription's result depends on besides the event itself. */
export interface KeyParts {
  query: string;
  operationName?: string | null;
  variables?: Readonly<Record<string, unknown>> | null;
  /**
   * The caller's role: field authorization and host-path redaction read it. No resolver reachable
   * from a subscription reads anything else of the caller (its name is for mutations' audit), and
   * the shared execution's context is built from this role alone, so none can start to by accident.
   */
  role: Role;
}

/**
 * The multiplexing key: subscriptions with the same key get byte-identical results for one event,
 * so they are executed once and sent one serialized payload. Variables are compared by their JSON
 * with keys sorted (`{a, b}` and `{b, a}` are one subscription); a missing operation name and null
 * are the same.
 */
export function subscriptionKey(p: KeyParts): string {
  return JSON.stringify([p.role, p.operationName ?? null, p.query, canonical(p.variables ?? {})]);
}

/** `value` with every object's keys in sorted order, so equal values serialize equally. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = canonical((value as Record<string, unknown>)[key]);
  return sorted;
}
