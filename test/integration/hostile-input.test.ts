import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Client } from "graphql-ws";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadConfig } from "../../src/config.js";
import { Role } from "../../src/domain/roles.js";
import { activeSubscriptions } from "../../src/metrics.js";
import { startGateway } from "../../src/server/gateway.js";
import { snapshotTables, type TableSnapshot } from "../support/db-snapshot.js";
import { OperationBuilder, withValue, type BuiltOperation, type Leaf, type OperationKind } from "../support/operation-builder.js";
import { closeCodeOf, handshake } from "../support/raw-ws.js";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";
import { firstOutcome, wsRequest } from "../support/subscription-outcome.js";
import { waitFor } from "../support/wait-for.js";
import { wsClient } from "../support/ws.js";

/** What came back, whichever the transport: HTTP status and body, or a graphql-ws result or close. */
interface Answer {
  status?: number;
  data?: any;
  errors?: any[];
  closed?: number;
  /** A body that was not JSON. */
  text?: string;
}

interface Transport {
  name: "HTTP" | "WebSocket";
  send(query: string, variables?: Record<string, unknown>): Promise<Answer>;
}

const HOSTILE: [string, string][] = [
  ["SQL", "'; DROP TABLE disk; --"],
  ["SQL tautology", "' OR '1'='1"],
  ["shell", "$(rm -rf /)"],
  ["backticks", "`reboot`"],
  ["path traversal", "../../etc/passwd"],
  ["absolute path", "/etc/shadow"],
  ["NUL inside", "a\u0000b"],
  ["NUL alone", "\u0000"],
  ["RTL override", "\u202Egnp.exe\u202C"],
  ["emoji", "💥🔥🧨"],
  ["zero width", "a\u200Bb\uFEFF"],
  ["lone surrogate", "\uD800x"],
  ["HTML", "<script>alert(1)</script>"],
  ["GraphQL", '"){ __schema { types { name } } }#'],
  ["format string", "%s%n%x%d"],
  ["JSON operator", '{"$ne":null}'],
  ["CRLF", "a\r\nSet-Cookie: x=1"],
  ["200 KB", "x".repeat(200_000)],
  ["200 KB of emoji", "💥".repeat(50_000)],
];

/** Values of the wrong type for a leaf, by the leaf's type. */
function wrongValues(leaf: Leaf): unknown[] {
  if (leaf.kind === "ENUM") return ["NOT_A_VALUE", 0, { $ne: null }];
  switch (leaf.type) {
    case "String":
    case "ID":
      return [{ $ne: null }, ["a"], true];
    case "Int":
      return ["1 OR 1=1", 2 ** 53, 1.5];
    case "Float":
      return ["NaN", {}];
    case "Boolean":
      return ["true", 1];
    case "DateTimeISO":
      return ["next tuesday", "2030-13-45T99:99:99Z", -1e20];
    case "JSONObject":
      return ["{}", 1, [1]];
    default:
      return [{ $ne: null }];
  }
}

/** Rows a sweep may create on purpose: a hostile but valid *name* is data, kept byte for byte. */
const CREATES: Record<string, { table: string; column: string }> = {
  addVm: { table: "vm", column: "name" },
  createApiToken: { table: "api_token", column: "name" },
};

const isTyped = (e: any) => typeof e?.extensions?.code === "string" && e.extensions.code !== "INTERNAL_SERVER_ERROR";

/** Why an answer is not a typed refusal or a clean success; null when it is fine. */
function problemOf(a: Answer): string | null {
  if (a.status !== undefined && a.status >= 500) return `HTTP ${a.status}`;
  if (a.closed !== undefined) return `socket closed ${a.closed}`;
  if (a.text !== undefined) return `not JSON: ${a.text.slice(0, 120)}`;
  const untyped = (a.errors ?? []).filter((e) => !isTyped(e));
  return untyped.length ? `untyped: ${JSON.stringify(untyped).slice(0, 300)}` : null;
}

const short = (v: unknown) => JSON.stringify(v)?.slice(0, 40);

describe("hostile input", () => {
  let stack: Stack;
  let builder: OperationBuilder;
  let ws: Client;
  let baseline: TableSnapshot;
  const seeded = { domainId: "", diskId: "", vmId: "" };
  /** Rows the sweeps created on purpose (hostile but valid names), left out of the comparison. */
  const created: Record<string, string[]> = {};

  const http: Transport = {
    name: "HTTP",
    async send(query, variables) {
      const res = await fetch(stack.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${stack.token}` },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      try {
        return { status: res.status, ...JSON.parse(text) };
      } catch {
        return { status: res.status, text };
      }
    },
  };
  const websocket: Transport = { name: "WebSocket", send: (query, variables) => wsRequest(ws, query, variables) };
  const TRANSPORTS = () => [http, websocket];

  const healthy = async () => {
    expect((await fetch(stack.url.replace("/graphql", "/healthz"))).status).toBe(200);
    expect(ok<any>(await stack.gql("{ me { role } }")).me.role).toBe("ADMIN");
  };

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    builder = await OperationBuilder.load((q) => stack.gql(q));
    ws = wsClient(stack.wsUrl, stack.token);
    // Some content in every table, so a change anywhere shows in the checksums.
    [{ id: seeded.domainId }] = await stack.db.query(
      `INSERT INTO storage_domain (name, path) VALUES ('hostile', $1) RETURNING id`,
      [`${stack.root}/hostile`],
    );
    [{ id: seeded.diskId }] = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable) VALUES ($1, 'victim', 'QCOW2', true) RETURNING id`,
      [seeded.domainId],
    );
    await stack.db.query(
      `INSERT INTO volume ("storageDomainId", "diskId", "relPath", format, "virtualSize", ` +
        `"actualSize") VALUES ($1, $2, 'victim.qcow2', 'QCOW2', 1048576, 4096)`,
      [seeded.domainId, seeded.diskId],
    );
    await stack.db.query(`INSERT INTO host (name, "heartbeatAt", concurrency) VALUES ('far-away', now() - interval '1 day', 1)`);
    seeded.vmId = ok<any>(await stack.gql(`mutation { addVm(input: { name: "victim-vm" }) { id } }`)).addVm.id;
    ok(
      await stack.gql("mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: false) { id } }", {
        v: seeded.vmId,
        d: seeded.diskId,
      }),
    );
    const job = ok<any>(
      await stack.gql("mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }", { d: seeded.diskId }),
    ).sparsifyDisk;
    ok(await stack.gql("mutation($id: ID!) { cancelSparsifyJob(id: $id) { id } }", { id: job.id }));
    baseline = await snapshotTables(stack.db);
    for (const table of ["storage_domain", "disk", "volume", "vm", "disk_attachment", "sparsify_job", "host"])
      expect(baseline[table]?.rows, table).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await ws?.dispose();
    await stack?.close();
  });

  const ids = (path: readonly (string | number)[], scalar: string) => {
    const last = path[path.length - 1];
    if (scalar !== "ID") return undefined;
    return last === "vmId" ? seeded.vmId : last === "diskId" ? seeded.diskId : undefined;
  };
  const allOps = (kinds: OperationKind[]): BuiltOperation[] =>
    kinds.flatMap((kind) => builder.rootFields(kind).map((f) => builder.build(kind, f.name, { optional: true, override: ids })));

  describe.each(["HTTP", "WebSocket"] as const)("query limits over %s", (name) => {
    const t = () => TRANSPORTS().find((x) => x.name === name)!;
    const deep = `{ disks(first: 1) { edges { node { ${"template { ".repeat(12)}id${" }".repeat(12)} } } } }`;
    const fragments = Array.from(
      { length: 13 },
      (_, i) => `fragment F${i} on Disk { template { ${i < 12 ? `...F${i + 1}` : "id"} } }`,
    ).join("\n");
    const cases: [string, string, string, RegExp][] = [
      ["depth 15", deep, "QUERY_TOO_DEEP", /depth/i],
      [
        "depth 15 through fragments",
        `{ disks(first: 1) { edges { node { ...F0 } } } }\n${fragments}`,
        "QUERY_TOO_DEEP",
        /depth/i,
      ],
      [
        "depth 15 in a subscription",
        `subscription { sparsifyJobEvents { disk { ${"template { ".repeat(13)}id${" }".repeat(13)} } } }`,
        "QUERY_TOO_DEEP",
        /depth/i,
      ],
      ["20 aliases", `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: me { name }`).join(" ")} }`, "TOO_MANY_ALIASES", /alias/i],
      ["3,000 tokens", `{ me { ${"name ".repeat(3_000)}} }`, "TOO_MANY_TOKENS", /token/i],
      [
        "an expensive query",
        "{ disks(first: 500) { edges { node { sparsifyJobs(first: 100) { id } } } } }",
        "QUERY_TOO_COMPLEX",
        /cost/i,
      ],
      ["60 directives", `{ me ${"@include(if: true) ".repeat(60)}{ name } }`, "TOO_MANY_DIRECTIVES", /directive/i],
    ];

    it.each(cases)("%s → %s", async (_case, query, code, message) => {
      const answer = await t().send(query);
      expect(answer.errors?.length, JSON.stringify(answer).slice(0, 400)).toBeGreaterThan(0);
      expect(answer.errors!.map((e) => e.extensions?.code)).toContain(code);
      expect(answer.errors!.map((e) => e.message).join("\n")).toMatch(message);
      expect(answer.data ?? null).toBeNull();
      expect(problemOf(answer)).toBeNull();
      if (answer.status !== undefined) expect(answer.status).toBe(400);
    });

    it("a query just inside every limit is answered", async () => {
      const deep = `${"template { ".repeat(5)}id${" }".repeat(5)}`;
      const within = `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: disks(first: 1) { edges { node { ${deep} } } }`).join(" ")} }`;
      const answer = await t().send(within);
      expect(answer.errors).toBeUndefined();
      expect(answer.data.a0.edges).toHaveLength(1);
    });
  });

  describe("HTTP requests that are not GraphQL requests", () => {
    const post = (body: BodyInit, headers: Record<string, string> = {}) =>
      fetch(stack.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${stack.token}`, ...headers },
        body,
      });

    it("a batched array is refused with 400", async () => {
      const res = await post(
        JSON.stringify([{ query: "{ me { name } }" }, { query: `mutation { addVm(input: { name: "batched" }) { id } }` }]),
      );
      expect(res.status).toBe(400);
      expect(await stack.db.query(`SELECT 1 FROM vm WHERE name = 'batched'`)).toEqual([]);
    });

    it.each([
      ["a 300 KB query", () => JSON.stringify({ query: `{ me { name } } # ${"x".repeat(300_000)}` })],
      [
        "1 MB in variables",
        () =>
          JSON.stringify({
            query: "mutation($n: String!) { addVm(input: { name: $n }) { id } }",
            variables: { n: "v".repeat(1_048_576) },
          }),
      ],
      ["8 MB of nothing", () => `{"query":"{ me { name } }","x":"${"a".repeat(8 * 1_048_576)}"}`],
    ])("%s → 413 with a typed error, and the server keeps answering", async (_name, body) => {
      const res = await post(body());
      expect(res.status).toBe(413);
      expect(((await res.json()) as any).errors[0].extensions.code).toBe("BAD_REQUEST");
      await healthy();
    });

    // typed: the answer is JSON with a code; Apollo's own CSRF and content-type refusals are plain text.
    it.each([
      ["malformed JSON", "{not json", "application/json", true, 400],
      ["truncated JSON", '{"query": "{ me { name } }"', "application/json", true, 400],
      ["a JSON string", '"{ me { name } }"', "application/json", true, 400],
      ["JSON null", "null", "application/json", true, 400],
      ["JSON with a bad charset", '{"query": "{ me { name } }"}', "application/json; charset=ebcdic", true, 415],
      ["an empty body", "", "application/json", false, 400],
      ["query not a string", '{"query": 5}', "application/json", false, 400],
      ["variables not an object", '{"query": "{ me { name } }", "variables": "x"}', "application/json", false, 400],
      ["extensions not an object", '{"query": "{ me { name } }", "extensions": 1}', "application/json", false, 400],
      ["text/plain (a CSRF-able simple request)", '{"query": "{ me { name } }"}', "text/plain", false, 400],
      ["form-urlencoded", "query=%7B%20me%20%7B%20name%20%7D%20%7D", "application/x-www-form-urlencoded", false, 400],
      [
        "multipart/form-data",
        '--b\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ me { name } }\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
        false,
        400,
      ],
      ["an unknown content type", '{"query": "{ me { name } }"}', "application/octet-stream", false, 400],
    ])("%s → 4xx, never 5xx, no stack trace", async (_name, body, contentType, typed, status) => {
      const res = await post(body, { "content-type": contentType });
      expect(res.status).toBe(status);
      const text = await res.text();
      expect(text).not.toMatch(/node_modules|\/work\/|\bat [\w.]+ \(/); // no stack traces or paths
      if (typed) expect(JSON.parse(text).errors[0].extensions.code).toBe("BAD_REQUEST");
      else if (/json/.test(res.headers.get("content-type") ?? ""))
        expect(JSON.parse(text).errors.every(isTyped), text).toBe(true);
      await healthy();
    });

    it.each([
      ["without a preflight header (CSRF prevention)", {}],
      ["with a preflight header", { "apollo-require-preflight": "true" }],
    ])("GET with a mutation is refused %s", async (_name, headers) => {
      const url = `${stack.url}?query=${encodeURIComponent(`mutation { addVm(input: { name: "via-get" }) { id } }`)}`;
      const res = await fetch(url, { headers: { authorization: `Bearer ${stack.token}`, ...headers } });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await stack.db.query(`SELECT 1 FROM vm WHERE name = 'via-get'`)).toEqual([]);
    });

    it("a subscription over HTTP is refused with a typed error", async () => {
      for (const op of allOps(["subscription"])) {
        const answer = await http.send(op.query, op.variables);
        expect(problemOf(answer), op.field).toBeNull();
        expect(answer.errors?.length, op.field).toBeGreaterThan(0);
      }
    });

    it.each([
      ["an unknown operationName", { query: "query A { me { name } } query B { me { role } }", operationName: "C" }],
      ["two operations without operationName", { query: "query A { me { name } } query B { me { role } }" }],
      ["a syntax error", { query: "{ me { name " }],
      ["an unknown directive", { query: '{ me @exec(cmd: "rm") { name } }' }],
      ["a huge integer literal", { query: "{ disks(first: 99999999999999999999) { totalCount } }" }],
      ["a NUL in the query text", { query: "{ me { name } }\u0000" }],
    ])("%s → a typed 400", async (_name, body) => {
      const res = await post(JSON.stringify(body));
      expect(res.status).toBe(400);
      const json: any = await res.json();
      expect(json.errors?.length).toBeGreaterThan(0);
      expect(json.errors.every(isTyped), JSON.stringify(json)).toBe(true);
    });
  });

  describe("the WebSocket protocol, abused", () => {
    const opened = async () => {
      const h = await handshake(stack.wsUrl, { authorization: `Bearer ${stack.token}` });
      if (!h.acked) throw new Error(`handshake refused: ${h.code}`);
      return h.socket;
    };

    it.each([
      ["not JSON", "{not json"],
      ["an unknown message type", JSON.stringify({ type: "exec", payload: { cmd: "id" } })],
      ["a subscribe without id", JSON.stringify({ type: "subscribe", payload: { query: "{ me { name } }" } })],
      ["a subscribe without payload", JSON.stringify({ id: "1", type: "subscribe" })],
      ["a second connection_init", JSON.stringify({ type: "connection_init", payload: {} })],
    ])("%s closes that socket with a 44xx code; the server keeps serving", async (_name, message) => {
      const socket = await opened();
      const closed = closeCodeOf(socket);
      socket.send(message);
      const code = await closed;
      expect(code).toBeGreaterThanOrEqual(4400);
      expect(code).toBeLessThan(4500);
      await healthy();
    });

    it("a subscribe before connection_init is refused, and one id used twice closes with 4409", async () => {
      const early = new WebSocket(stack.wsUrl, "graphql-transport-ws");
      await new Promise((r) => early.once("open", r));
      const earlyClosed = closeCodeOf(early);
      early.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "{ me { name } }" } }));
      expect(await earlyClosed).toBe(4401);

      const socket = await opened();
      const closed = closeCodeOf(socket);
      const subscribe = JSON.stringify({
        id: "same",
        type: "subscribe",
        payload: { query: "subscription { sparsifyJobEvents { id } }" },
      });
      socket.send(subscribe);
      socket.send(subscribe);
      expect(await closed).toBe(4409);
    });

    it("a message over 256 KB closes that socket (1009), the server keeps serving", async () => {
      const socket = await opened();
      const closed = closeCodeOf(socket);
      socket.send(
        JSON.stringify({
          id: "big",
          type: "subscribe",
          payload: { query: "{ me { name } }", variables: { x: "y".repeat(1_048_576) } },
        }),
      );
      expect(await closed).toBe(1009);
      await healthy();
    });

    it("a binary frame does not crash the server", async () => {
      const socket = await opened();
      const closed = closeCodeOf(socket);
      socket.send(Buffer.from([0, 159, 146, 150, 255]));
      const code = await Promise.race([closed, sleep(1_000).then(() => "open" as const)]);
      if (code !== "open") expect(code).toBeGreaterThanOrEqual(4400);
      socket.close();
      await healthy();
    });
  });

  describe.each(["HTTP", "WebSocket"] as const)("every argument of every entry point over %s", (name) => {
    const t = () => TRANSPORTS().find((x) => x.name === name)!;

    it("variables of the wrong type are BAD_USER_INPUT", async () => {
      const problems: string[] = [];
      const before = await snapshotTables(stack.db, created);
      for (const op of allOps(["query", "mutation", ...(name === "WebSocket" ? (["subscription"] as const) : [])])) {
        const required = Object.keys(builder.build(op.kind, op.field).variables);
        const cases = [
          ...op.leaves.flatMap((leaf) => wrongValues(leaf).map((v) => [leaf.path, v] as const)),
          ...Object.keys(op.variables).map((arg) => [[arg], [[[]]]] as const),
          ...required.map((arg) => [[arg], null] as const),
        ];
        for (const [path, value] of cases) {
          const answer = await t().send(op.query, withValue(op.variables, path, value));
          const what = `${op.field}.${path.join(".")} = ${short(value)}`;
          const problem = problemOf(answer);
          if (problem) problems.push(`${what}: ${problem}`);
          else if (!answer.errors?.length) problems.push(`${what}: accepted`);
          else if (codeOf(answer) !== "BAD_USER_INPUT") problems.push(`${what}: ${codeOf(answer)} ${answer.errors[0].message}`);
        }
      }
      expect(problems).toEqual([]);
      expect(await snapshotTables(stack.db, created)).toEqual(before);
    });

    it("injection-shaped text in every String and ID gets a typed answer and changes nothing", async () => {
      const problems: string[] = [];
      let sent = 0;
      for (const op of allOps(["query", "mutation", ...(name === "WebSocket" ? (["subscription"] as const) : [])])) {
        for (const leaf of op.textLeaves) {
          for (const [label, value] of HOSTILE) {
            const variables = withValue(op.variables, leaf.path, value);
            const what = `${op.field}.${leaf.path.join(".")} ← ${label}`;
            sent++;
            if (op.kind === "subscription") {
              const outcome = await firstOutcome(ws, op.query, variables, 150);
              if (outcome.kind === "closed") problems.push(`${what}: socket closed ${outcome.code}`);
              if (outcome.kind === "errors" && !outcome.errors.every(isTyped))
                problems.push(`${what}: untyped ${JSON.stringify(outcome.errors).slice(0, 200)}`);
              continue;
            }
            const answer = await t().send(op.query, variables);
            const problem = problemOf(answer);
            if (problem) {
              problems.push(`${what}: ${problem}`);
              continue;
            }
            if (op.kind !== "mutation" || answer.errors?.length) continue;
            // A mutation took hostile text: only a new name may, and it must be stored exactly as sent.
            const target = CREATES[op.field];
            if (!target || leaf.path[leaf.path.length - 1] !== target.column) {
              problems.push(`${what}: mutation accepted it`);
              continue;
            }
            const rows: { id: string; value: string }[] = await stack.db.query(
              `SELECT id, "${target.column}" AS value FROM "${target.table}" WHERE "${target.column}" = $1`,
              [value.trim()],
            );
            if (rows.length !== 1 || rows[0]!.value !== value.trim())
              problems.push(`${what}: stored as ${short(rows.map((r) => r.value))}`);
            (created[target.table] ??= []).push(...rows.map((r) => r.id));
          }
        }
      }
      expect(sent).toBeGreaterThan(300);
      expect(problems).toEqual([]);
      await healthy();
      expect(await snapshotTables(stack.db, created)).toEqual(baseline);
    });
  });

  it("after everything: the database is as seeded and the server answers", async () => {
    expect(await snapshotTables(stack.db, created)).toEqual(baseline);
    expect((await stack.db.query(`SELECT count(*)::int AS n FROM disk`))[0].n).toBe(1);
    await healthy();
    const answer = await wsRequest(wsClient(stack.wsUrl, stack.token), "{ me { name } }");
    expect(answer.data).toEqual({ me: { name: "test-admin" } });
  });
});

describe("rate limits", () => {
  const DEFAULTS = loadConfig({});
  const UNKNOWN = "00000000-0000-4000-8000-000000000000";
  const CANCEL = "mutation($id: ID!) { cancelSparsifyJob(id: $id) { id } }";

  describe("RATE_LIMIT_MUTATIONS_PER_MINUTE=5", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ worker: false, env: { RATE_LIMIT_MUTATIONS_PER_MINUTE: "5" } });
    });
    afterAll(() => stack?.close());

    const cancelAs = (secret: string, url = stack.url) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
        body: JSON.stringify({ query: CANCEL, variables: { id: UNKNOWN } }),
      }).then(async (r) => ({
        status: r.status,
        ...((await r.json()) as { errors?: any[] }),
      }));

    it("the 6th mutation of a token is RATE_LIMITED (429) on HTTP and WebSocket; another token and queries are unaffected", async () => {
      const alice = await stack.tokenFor(Role.OPERATOR, "alice");
      const bob = await stack.tokenFor(Role.OPERATOR, "bob");
      for (let i = 0; i < 5; i++) expect(codeOf(await cancelAs(alice))).toBe("NOT_FOUND");
      const sixth = await cancelAs(alice);
      expect(sixth.status).toBe(429);
      expect(codeOf(sixth)).toBe("RATE_LIMITED");
      expect(sixth.errors![0].extensions.retryAfterSeconds).toBeGreaterThan(0);
      expect(sixth.errors![0].message).not.toMatch(/spg_/);

      const aliceWs = wsClient(stack.wsUrl, alice);
      const overWs = await wsRequest(aliceWs, CANCEL, { id: UNKNOWN });
      expect(overWs.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
      await aliceWs.dispose();

      expect(codeOf(await cancelAs(bob))).toBe("NOT_FOUND");
      expect(ok<any>(await stack.gql("{ me { name } }", {}, { authorization: `Bearer ${alice}` })).me.name).toBe("alice");
    });

    it("two gateway replicas on one Redis share a token's budget", async () => {
      const other = await startGateway(stack.config, stack.db, pino({ level: "silent" }));
      try {
        const carol = await stack.tokenFor(Role.OPERATOR, "carol");
        for (let i = 0; i < 3; i++) expect(codeOf(await cancelAs(carol, stack.url))).toBe("NOT_FOUND");
        for (let i = 0; i < 2; i++) expect(codeOf(await cancelAs(carol, other.url))).toBe("NOT_FOUND");
        const sixth = await cancelAs(carol, other.url);
        expect(sixth.status).toBe(429);
        expect(codeOf(sixth)).toBe("RATE_LIMITED");
        expect(codeOf(await cancelAs(carol, stack.url))).toBe("RATE_LIMITED");
      } finally {
        await other.close();
      }
    });
  });

  describe("defaults", () => {
    let stack: Stack;
    let diskId: string;
    beforeAll(async () => {
      stack = await startStack({
        worker: false,
        env: {
          RATE_LIMIT_MUTATIONS_PER_MINUTE: String(DEFAULTS.RATE_LIMIT_MUTATIONS_PER_MINUTE),
          RATE_LIMIT_QUERIES_PER_SECOND: String(DEFAULTS.RATE_LIMIT_QUERIES_PER_SECOND),
          RATE_LIMIT_SUBSCRIPTIONS_PER_SECOND: String(DEFAULTS.RATE_LIMIT_SUBSCRIPTIONS_PER_SECOND),
        },
      });
      const [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('ui', $1) RETURNING id`, [
        `${stack.root}/ui`,
      ]);
      [{ id: diskId }] = await stack.db.query(
        `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable) VALUES ($1, 'watched', 'QCOW2', true) RETURNING id`,
        [domainId],
      );
    });
    afterAll(() => stack?.close());

    it("are the documented ones", () => {
      expect(DEFAULTS.RATE_LIMIT_SUBSCRIPTIONS_PER_SECOND).toBeGreaterThanOrEqual(200);
      expect(stack.config.RATE_LIMIT_SUBSCRIPTIONS_PER_SECOND).toBe(DEFAULTS.RATE_LIMIT_SUBSCRIPTIONS_PER_SECOND);
      // The WebSocket caps run at their defaults here too: the 300-a-second test below holds with them.
      expect([stack.config.MAX_SOCKETS_PER_TOKEN, stack.config.MAX_SUBSCRIPTIONS_PER_SOCKET]).toEqual([
        DEFAULTS.MAX_SOCKETS_PER_TOKEN,
        DEFAULTS.MAX_SUBSCRIPTIONS_PER_SOCKET,
      ]);
    });

    it("one UI opens 300 sparsifyJobEvents subscriptions within a second, none RATE_LIMITED, and every one sees the next job", async () => {
      const viewer = await stack.tokenFor(Role.VIEWER, "dashboard");
      const clients = [0, 1, 2].map(() => {
        let connected!: () => void;
        const ready = new Promise<void>((r) => (connected = r));
        const client = createClient({
          url: stack.wsUrl,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          lazy: false,
          connectionParams: { authorization: `Bearer ${viewer}` },
          on: { connected: () => connected() },
        });
        return { client, ready };
      });
      await Promise.all(clients.map((c) => c.ready));
      const seen = new Map<number, Set<string>>();
      const errors: unknown[] = [];
      const active = async () => (await activeSubscriptions.get()).values[0]?.value ?? 0;
      const before = await active();
      const started = Date.now();
      for (let i = 0; i < 300; i++) {
        clients[i % 3]!.client.subscribe(
          { query: "subscription { sparsifyJobEvents { id state requestedBy } }" },
          {
            next: (v) =>
              v.errors
                ? errors.push(...v.errors)
                : seen.set(i, (seen.get(i) ?? new Set()).add((v.data as any).sparsifyJobEvents.id)),
            error: (e) => errors.push(e),
            complete: () => {},
          },
        );
      }
      const sentIn = Date.now() - started;
      expect(sentIn).toBeLessThan(1_000);
      // Until the server has registered them all (each counts itself as it subscribes), or refused one.
      await waitFor(async () => (await active()) >= before + 300 || errors.length > 0, {
        timeout: 30_000,
        what: "300 subscriptions registered",
      });
      // Two changes of one job (queued, cancelled): each subscription must see at least one of them.
      const operator = { authorization: `Bearer ${await stack.tokenFor(Role.OPERATOR, "ui-operator")}` };
      const job = ok<any>(
        await stack.gql("mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }", { d: diskId }, operator),
      ).sparsifyDisk;
      await sleep(200);
      ok(await stack.gql("mutation($id: ID!) { cancelSparsifyJob(id: $id) { id } }", { id: job.id }, operator));
      await waitFor(() => seen.size === 300 || errors.length > 0, { timeout: 10_000, what: "300 subscribers to see the job" });
      expect(errors).toEqual([]);
      expect(new Set([...seen.values()].flatMap((ids) => [...ids]))).toEqual(new Set([job.id]));
      await Promise.all(clients.map((c) => c.client.dispose()));
    });

    it("a flood of mutations from one token is stopped at the default budget", async () => {
      const flooder = await stack.tokenFor(Role.OPERATOR, "flooder");
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < DEFAULTS.RATE_LIMIT_MUTATIONS_PER_MINUTE + 10; i++) {
        codes.push(codeOf(await stack.gql(CANCEL, { id: UNKNOWN }, { authorization: `Bearer ${flooder}` })));
      }
      expect(codes.slice(0, DEFAULTS.RATE_LIMIT_MUTATIONS_PER_MINUTE).every((c) => c === "NOT_FOUND")).toBe(true);
      expect(codes.slice(DEFAULTS.RATE_LIMIT_MUTATIONS_PER_MINUTE).every((c) => c === "RATE_LIMITED")).toBe(true);
    });
  });
});
