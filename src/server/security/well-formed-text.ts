/** A lone UTF-16 surrogate: JSON can carry one ("\ud800"), UTF-8 cannot. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The path of the first string in `value` that is not well-formed Unicode, or null. PostgreSQL and
 * every UTF-8 encoder would silently replace a lone surrogate with U+FFFD, so a name would be stored
 * as something other than what the client sent and was told succeeded.
 */
export function illFormedTextPath(value: unknown, path = "variables"): string | null {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = illFormedTextPath(value[i], `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const found = illFormedTextPath(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}
