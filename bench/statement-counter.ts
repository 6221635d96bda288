import pg from "pg";

/**
 * Counts every statement sent through `pg` in this process (TypeORM included), at the driver,
 * so a bench can report statements per request. Call once, before any connection is made.
 */
export function countStatements(): { readonly count: number; reset(): void } {
  let count = 0;
  const originalQuery = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    count++;
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  return {
    get count() {
      return count;
    },
    reset() {
      count = 0;
    },
  };
}
