import { QueryFailedError } from "typeorm";

/** PostgreSQL's unique_violation: a concurrent insert won (names, the one-active-job guard). */
export const isUniqueViolation = (e: unknown): boolean =>
  e instanceof QueryFailedError && (e as unknown as { code?: string }).code === "23505";
