import { badInput } from "../errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else is the caller's mistake, reported before touching the database. */
export function parseId(value: string, field = "id"): string {
  if (typeof value !== "string" || !UUID.test(value))
    throw badInput(`${field} must be a UUID, got ${JSON.stringify(String(value).slice(0, 80))}`, field);
  return value.toLowerCase();
}

/** A display name: trimmed, 1–100 printable characters. */
export function parseName(value: string, field = "name"): string {
  const name = typeof value === "string" ? value.trim() : "";
  if (name.length < 1 || name.length > 100) throw badInput(`${field} must be 1–100 characters`, field);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw badInput(`${field} must not contain control characters`, field);
  // Bidi overrides and zero-width characters can disguise a name in lists and the audit trail.
  if (/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/.test(name))
    throw badInput(`${field} must not contain invisible or direction-changing characters`, field);
  if (/\p{Surrogate}/u.test(name)) throw badInput(`${field} is not well-formed Unicode`, field);
  return name;
}

/** True for a well-formed UUID (any case). */
export const isUuid = (value: unknown): boolean => typeof value === "string" && UUID.test(value);
