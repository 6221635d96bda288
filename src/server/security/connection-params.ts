/**
 * A value of graphql-ws `connectionParams` by name, case-insensitively, as HTTP treats header
 * names: clients copy their headers there (GraphiQL's Headers tab, the README's
 * `{"Authorization": "Bearer …"}`). An exact lower-case key wins over other spellings.
 */
export function connectionParam(params: unknown, name: string): unknown {
  if (typeof params !== "object" || params === null || Array.isArray(params)) return undefined;
  const record = params as Record<string, unknown>;
  const lower = name.toLowerCase();
  if (Object.hasOwn(record, lower)) return record[lower];
  const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : record[key];
}
