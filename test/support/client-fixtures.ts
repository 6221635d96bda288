import type { Stack } from "./stack.js";

/** Two sparsifiable disks seeded in SQL: the clients' tests need a disk to query and to sparsify. */
export async function seedTwoDisks(stack: Stack): Promise<{ domainId: string; diskIds: [string, string] }> {
  const [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('clients', $1) RETURNING id`, [
    `${stack.root}/clients`,
  ]);
  const rows: { id: string }[] = await stack.db.query(
    `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable, "actualSize", "virtualSize")
     VALUES ($1, 'client-a', 'QCOW2', true, 1048576, 1073741824), ($1, 'client-b', 'QCOW2', true, 2097152, 1073741824) RETURNING id`,
    [domainId],
  );
  return { domainId, diskIds: [rows[0]!.id, rows[1]!.id] };
}
