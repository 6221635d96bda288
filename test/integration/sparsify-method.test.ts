import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/domain/roles.js";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";

/** The DIRECT opt-in: VIRT_SPARSIFY by default, set by admins only, audited, typed errors. */
describe("setSparsifyMethod", () => {
  let stack: Stack;
  let domainId: string;
  beforeAll(async () => {
    stack = await startStack({ worker: false });
    [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('m', $1) RETURNING id`, [
      `${stack.root}/m`,
    ]);
  });
  afterAll(() => stack?.close());

  const SET = `mutation($d: ID!, $m: SparsifyMethod!, $v: DirectVerifyMode) {
    setSparsifyMethod(storageDomainId: $d, method: $m, verify: $v) { id sparsifyMethod directVerify }
  }`;

  it("a new domain sparsifies with VIRT_SPARSIFY, verified STANDARD when it opts in", async () => {
    const data = ok<any>(
      await stack.gql(`query($d: ID!) { storageDomain(id: $d) { sparsifyMethod directVerify } }`, { d: domainId }),
    );
    expect(data.storageDomain).toEqual({ sparsifyMethod: "VIRT_SPARSIFY", directVerify: "STANDARD" });
  });

  it("an admin turns DIRECT on (with FULL verification) and off; each change is an audit event", async () => {
    expect(ok<any>(await stack.gql(SET, { d: domainId, m: "DIRECT", v: "FULL" })).setSparsifyMethod).toEqual({
      id: domainId,
      sparsifyMethod: "DIRECT",
      directVerify: "FULL",
    });
    // verify omitted: left as it was
    expect(ok<any>(await stack.gql(SET, { d: domainId, m: "VIRT_SPARSIFY" })).setSparsifyMethod).toMatchObject({
      sparsifyMethod: "VIRT_SPARSIFY",
      directVerify: "FULL",
    });
    const events = await stack.db.query(
      `SELECT actor, data FROM event WHERE type = 'SPARSIFY_METHOD_SET' AND "storageDomainId" = $1 ORDER BY "createdAt"`,
      [domainId],
    );
    expect(events.map((e: any) => [e.data.previousMethod, e.data.method, e.data.verify])).toEqual([
      ["VIRT_SPARSIFY", "DIRECT", "FULL"],
      ["DIRECT", "VIRT_SPARSIFY", "FULL"],
    ]);
    expect(events[0].actor).toMatch(/test-admin/);
  });

  it("refuses operators and viewers (FORBIDDEN), unknown domains (NOT_FOUND) and unknown methods (a validation error)", async () => {
    for (const role of [Role.OPERATOR, Role.VIEWER]) {
      const token = await stack.tokenFor(role);
      expect(codeOf(await stack.gql(SET, { d: domainId, m: "DIRECT" }, { authorization: `Bearer ${token}` }))).toBe("FORBIDDEN");
    }
    expect(codeOf(await stack.gql(SET, { d: "00000000-0000-4000-8000-000000000000", m: "DIRECT" }))).toBe("NOT_FOUND");
    const bad = await stack.gql(SET, { d: domainId, m: "FAST" });
    expect(codeOf(bad)).toBe("BAD_USER_INPUT");
    const [row] = await stack.db.query(`SELECT "sparsifyMethod" FROM storage_domain WHERE id = $1`, [domainId]);
    expect(row.sparsifyMethod).toBe("VIRT_SPARSIFY");
  });
});
