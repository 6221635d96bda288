import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";

const UNKNOWN = "00000000-0000-4000-8000-000000000000";
const HOSTILE_IDS = ["not-a-uuid", "' OR 1=1 --", "../../etc/passwd", "x".repeat(10_000), ""];

/** Every entry point, bad input → a typed code, and the database unchanged. */
describe("bad input", () => {
  let stack: Stack;
  let diskId: string;
  let vmId: string;

  async function snapshot() {
    const rows = await stack.db.query(`SELECT
      (SELECT count(*) FROM storage_domain) AS domains, (SELECT count(*) FROM disk) AS disks,
      (SELECT count(*) FROM vm) AS vms, (SELECT count(*) FROM disk_attachment) AS attachments,
      (SELECT count(*) FROM sparsify_job) AS jobs, (SELECT string_agg(status::text || allocation::text, ',' ORDER BY id) FROM
        disk) AS disk_state,
      (SELECT string_agg(status::text, ',' ORDER BY id) FROM vm) AS vm_state`);
    return rows[0];
  }

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    const [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('d', $1) RETURNING id`, [
      `${stack.root}/d`,
    ]);
    [{ id: diskId }] = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable) VALUES ($1, 'a', 'RAW', true) RETURNING id`,
      [domainId],
    );
    vmId = ok<any>(await stack.gql(`mutation { addVm(input: { name: "vm-1" }) { id } }`)).addVm.id;
  });
  afterAll(() => stack?.close());

  const cases: [string, string, Record<string, unknown>, string][] = [
    ...HOSTILE_IDS.flatMap((id): [string, string, Record<string, unknown>, string][] => [
      [`disk(${id.slice(0, 12)})`, "query($id: ID!) { disk(id: $id) { id } }", { id }, "BAD_USER_INPUT"],
      [
        `scanStorageDomain(${id.slice(0, 12)})`,
        "mutation($id: ID!) { scanStorageDomain(id: $id) { id } }",
        { id },
        "BAD_USER_INPUT",
      ],
      [`sparsifyDisk(${id.slice(0, 12)})`, "mutation($id: ID!) { sparsifyDisk(diskId: $id) { id } }", { id }, "BAD_USER_INPUT"],
      [
        `setVmStatus(${id.slice(0, 12)})`,
        "mutation($id: ID!) { setVmStatus(id: $id, status: UP) { id } }",
        { id },
        "BAD_USER_INPUT",
      ],
    ]),
    ["unknown disk → sparsifyDisk", "mutation($id: ID!) { sparsifyDisk(diskId: $id) { id } }", { id: UNKNOWN }, "NOT_FOUND"],
    ["unknown job → cancel", "mutation($id: ID!) { cancelSparsifyJob(id: $id) { id } }", { id: UNKNOWN }, "NOT_FOUND"],
    ["unknown domain → remove", "mutation($id: ID!) { removeStorageDomain(id: $id) }", { id: UNKNOWN }, "NOT_FOUND"],
    [
      "unknown vm → attach",
      "mutation($id: ID!, $d: ID!) { attachDisk(vmId: $id, diskId: $d, plugged: true) { id } }",
      { id: UNKNOWN, d: UNKNOWN },
      "NOT_FOUND",
    ],
    [
      "unknown host → maintenance",
      "mutation($id: ID!) { setHostMaintenance(id: $id, on: true) { id } }",
      { id: UNKNOWN },
      "NOT_FOUND",
    ],
    ["first > 500", "{ disks(first: 501) { totalCount } }", {}, "BAD_USER_INPUT"],
    ["first < 0", "{ disks(first: -1) { totalCount } }", {}, "BAD_USER_INPUT"],
    ["garbage cursor", `{ disks(after: "AAAA") { totalCount } }`, {}, "BAD_USER_INPUT"],
    ["bad filter domain id", `{ disks(filter: { storageDomainId: "x" }) { totalCount } }`, {}, "BAD_USER_INPUT"],
    [
      "overlong text filter",
      "query($t: String) { disks(filter: { text: $t }) { totalCount } }",
      { t: "a".repeat(201) },
      "BAD_USER_INPUT",
    ],
    [
      "relative domain path",
      `mutation { addStorageDomain(input: { name: "x", path: "relative/dir" }) { id } }`,
      {},
      "STORAGE_PATH_INVALID",
    ],
    [
      "domain path with ..",
      'mutation($p: String!) { addStorageDomain(input: { name: "x", path: $p }) { id } }',
      { p: "/tmp/../etc" },
      "STORAGE_PATH_INVALID",
    ],
    [
      "domain path outside roots",
      `mutation { addStorageDomain(input: { name: "x", path: "/etc" }) { id } }`,
      {},
      "STORAGE_PATH_INVALID",
    ],
    [
      "domain path with NUL",
      'mutation($p: String!) { addStorageDomain(input: { name: "x", path: $p }) { id } }',
      { p: "/tmp/a\u0000b" },
      "STORAGE_PATH_INVALID",
    ],
    [
      "empty domain name",
      'mutation($p: String!) { addStorageDomain(input: { name: "  ", path: $p }) { id } }',
      { p: "/tmp/zz" },
      "BAD_USER_INPUT",
    ],
    ["overlong vm name", "mutation($n: String!) { addVm(input: { name: $n }) { id } }", { n: "v".repeat(101) }, "BAD_USER_INPUT"],
    ["duplicate vm name", `mutation { addVm(input: { name: "vm-1" }) { id } }`, {}, "CONFLICT"],
    ["unknown enum", `mutation($id: ID!) { setVmStatus(id: $id, status: EXPLODED) { id } }`, {}, "GRAPHQL_VALIDATION_FAILED"],
    ["wrong variable type", "query($f: Int) { disks(first: $f) { totalCount } }", { f: "ten" }, "BAD_USER_INPUT"],
    ["unknown field", "{ disks { nope } }", {}, "GRAPHQL_VALIDATION_FAILED"],
    ["syntax error", "{ disks { ", {}, "GRAPHQL_PARSE_FAILED"],
    [
      "detach what is not attached",
      "mutation($v: ID!, $d: ID!) { detachDisk(vmId: $v, diskId: $d) }",
      { d: UNKNOWN },
      "NOT_FOUND",
    ],
    ["forget a disk that is not missing", "mutation($d: ID!) { forgetDisk(id: $d) }", {}, "DISK_NOT_MISSING"],
  ];

  it.each(cases)("%s → %s", async (_name, query, variables, expected) => {
    const before = await snapshot();
    const vars = { v: vmId, d: diskId, id: vmId, ...variables };
    const res = await stack.gql(query, vars);
    expect(res.errors, JSON.stringify(res)).toBeDefined();
    expect(codeOf(res)).toBe(expected);
    expect(res.errors![0].message).not.toMatch(/Internal server error/);
    expect(await snapshot()).toEqual(before);
  });

  it("a JSON body that is not JSON is a 400, not a crash", async () => {
    const res = await fetch(stack.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(res.status).toBe(400);
    const health = await fetch(stack.url.replace("/graphql", "/healthz"));
    expect(health.status).toBe(200);
  });

  it("batched requests are refused", async () => {
    const res = await fetch(stack.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ query: "{ vms { id } }" }, { query: "{ vms { id } }" }]),
    });
    expect(res.status).toBe(400);
  });

  it("a text/plain POST is stopped by CSRF prevention", async () => {
    const res = await fetch(stack.url, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ vms { id } }" }),
    });
    expect(res.status).toBe(400);
  });
});
