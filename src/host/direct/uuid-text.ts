/** A 16-byte UUID as dumpe2fs and xfs_db print it ("<none>" for ext when all zero, as e2p_uuid2str). Pure. */
export function formatUuid(bytes: Buffer, none = "<none>"): string {
  if (bytes.every((b) => b === 0)) return none;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
