/** The secret of an `Authorization: Bearer <token>` value, or null. */
export function bearerSecret(header: unknown): string | null {
  if (typeof header !== "string") return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}
