import { badInput } from "../errors.js";

/** Opaque keyset cursor: the ordering value and the id of the last row of a page. */
export interface Cursor {
  value: string | number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.value, c.id])).toString("base64url");
}

/** @param field the argument it came in (`after` or `before`), named in the error. */
export function decodeCursor(raw: string, field: "after" | "before" = "after"): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      (typeof parsed[0] === "string" || typeof parsed[0] === "number") &&
      typeof parsed[1] === "string"
    ) {
      return { value: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw badInput(`${field} is not a cursor returned by this API`, field);
}
