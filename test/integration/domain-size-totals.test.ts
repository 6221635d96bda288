import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/domain/roles.js";
import { ok, startStack, type Stack } from "../support/stack.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** StorageDomain.diskCount / virtualSizeTotal / actualSizeTotal over disks seeded in SQL. */
describe("storage domain size totals", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    const ids: Record<string, string> = {};
    for (const name of ["d1", "d2", "empty"])
      [{ id: ids[name] }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ($1, $2) RETURNING id`, [
        name,
        `${stack.root}/${name}`,
      ]);
    const disks: [string, string, number, number, string][] = [
      ["a", "d1", 10 * GiB, 3 * GiB, "OK"],
      ["b", "d1", 20 * GiB, 5 * GiB + 7, "OK"],
      ["gone", "d1", 100 * GiB, 90 * GiB, "MISSING"],
      ["c", "d2", 4 * GiB, 4 * GiB, "OK"],
    ];
    for (const [alias, domain, virtual, actual, status] of disks) {
      await stack.db.query(
        `INSERT INTO disk ("storageDomainId", alias, format, "virtualSize", "actualSize", status) VALUES ($1, $2, 'QCOW2', $3, $4, $5)`,
        [ids[domain], alias, virtual, actual, status],
      );
    }
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("adds up each domain's disks exactly, leaves MISSING disks out, and reports zeros for an empty domain", async () => {
    const { storageDomains } = ok<any>(await stack.gql(`{ storageDomains { name diskCount virtualSizeTotal actualSizeTotal } }`));
    const byName = Object.fromEntries(
      storageDomains.map((d: any) => [d.name, [d.diskCount, d.virtualSizeTotal, d.actualSizeTotal]]),
    );
    expect(byName).toEqual({
      d1: [2, 30 * GiB, 8 * GiB + 7],
      d2: [1, 4 * GiB, 4 * GiB],
      empty: [0, 0, 0],
    });
  });

  it("is readable by a viewer and on a single domain", async () => {
    const token = await stack.tokenFor(Role.VIEWER, "v");
    const [{ id }] = await stack.db.query(`SELECT id FROM storage_domain WHERE name = 'd2'`);
    const one = ok<any>(
      await stack.gql(
        `query($id: ID!) { storageDomain(id: $id) { diskCount actualSizeTotal } }`,
        { id },
        { authorization: `Bearer ${token}` },
      ),
    );
    expect(one.storageDomain).toEqual({ diskCount: 1, actualSizeTotal: 4 * GiB });
  });
});
