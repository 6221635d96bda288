import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";

/** A VM's history: sparsifyJobs(filter: { vmId }) lists the jobs of the disks attached to it. */
describe("sparsifyJobs by VM", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
  });
  afterAll(() => stack?.close());

  it("lists exactly the jobs of the VM's disks, plugged or not, newest first", async () => {
    const [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('h', $1) RETURNING id`, [
      `${stack.root}/h`,
    ]);
    const rows = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable, "actualSize") SELECT $1, 'd' ` +
        "|| g, 'QCOW2', true, 1 FROM generate_series(1, 3) g RETURNING id, alias",
      [domainId],
    );
    const id = Object.fromEntries(rows.map((r: any) => [r.alias, r.id]));
    const vm = ok<any>(await stack.gql(`mutation { addVm(input: { name: "history-vm" }) { id } }`)).addVm.id;
    ok(
      await stack.gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: true) { id } }`, {
        v: vm,
        d: id.d1,
      }),
    );
    ok(
      await stack.gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: false) { id } }`, {
        v: vm,
        d: id.d2,
      }),
    );
    // The VM is DOWN (a new manual VM): all three can be sparsified; d3 belongs to no VM.
    const results = ok<any>(
      await stack.gql(`mutation($ids: [ID!]) { sparsifyDisks(input: { diskIds: $ids }) { diskId job { id } } }`, {
        ids: [id.d1, id.d2, id.d3],
      }),
    ).sparsifyDisks;
    expect(results.every((r: any) => r.job)).toBe(true);
    const history = ok<any>(
      await stack.gql(`query($v: ID!) { sparsifyJobs(filter: { vmId: $v }) { totalCount edges { node { disk { alias } } } } }`, {
        v: vm,
      }),
    ).sparsifyJobs;
    expect(history.totalCount).toBe(2);
    expect(history.edges.map((e: any) => e.node.disk.alias).sort()).toEqual(["d1", "d2"]);
    expect(codeOf(await stack.gql(`{ sparsifyJobs(filter: { vmId: "nope" }) { totalCount } }`))).toBe("BAD_USER_INPUT");
  });
});
