import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { createClient, type Client } from "graphql-ws";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ConfigError, loadConfig } from "../../src/config.js";
import { hasRole, Role } from "../../src/domain/roles.js";
import { startGateway, type Gateway } from "../../src/server/gateway.js";
import { OperationBuilder, type BuiltOperation, type OperationKind } from "../support/operation-builder.js";
import { closeCodeOf, handshake } from "../support/raw-ws.js";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";
import { firstOutcome, outcomeCodes, type SubscriptionOutcome } from "../support/subscription-outcome.js";
import { waitFor } from "../support/wait-for.js";
import { wsClient } from "../support/ws.js";

const CLI = path.resolve("dist/src/cli/token-create.js");
const ROLES = [Role.VIEWER, Role.OPERATOR, Role.ADMIN] as const;
const KINDS: OperationKind[] = ["query", "mutation", "subscription"];

/** The rules: viewers read and watch, operators also sparsify and cancel, admins do the rest. */
const OPERATOR_MUTATIONS = new Set(["sparsifyDisk", "sparsifyDisks", "cancelSparsifyJob"]);
const ADMIN_QUERIES = new Set(["apiTokens"]);
const requiredRole = (kind: OperationKind, field: string): Role =>
  kind === "mutation"
    ? OPERATOR_MUTATIONS.has(field)
      ? Role.OPERATOR
      : Role.ADMIN
    : ADMIN_QUERIES.has(field)
      ? Role.ADMIN
      : Role.VIEWER;

/** The GraphQL enum value of a role (VIEWER, …). */
const roleEnum = (role: Role) => role.toUpperCase();

/**
 * What happened to one operation on one root field: refused (by code), or "ran" — the field's own
 * resolver executed (no errors, or only typed errors located at that field).
 */
function verdict(field: string, errors: any[] | undefined): string {
  if (!errors?.length) return "ran";
  const codes = errors.map((e) => e?.extensions?.code);
  for (const refusal of ["UNAUTHENTICATED", "FORBIDDEN"]) {
    if (codes.includes(refusal))
      return errors.every((e) => e.path?.[0] === field) ? refusal : `${refusal} not at ${field}: ${JSON.stringify(errors)}`;
  }
  if (codes.every((c) => c && c !== "INTERNAL_SERVER_ERROR") && errors.every((e) => e.path?.[0] === field)) return "ran";
  return `unexpected: ${JSON.stringify(errors).slice(0, 300)}`;
}

const subscriptionVerdict = (field: string, o: SubscriptionOutcome) =>
  o.kind === "errors" ? verdict(field, o.errors) : o.kind === "closed" ? `closed ${o.code}` : "ran";

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** A graphql-ws client that reports how its socket closed. */
function watchedClient(url: string, secret: string): { client: Client; connected: Promise<void>; closed: Promise<number> } {
  let onConnected!: () => void;
  let onClosed!: (code: number) => void;
  const connected = new Promise<void>((r) => (onConnected = r));
  const closed = new Promise<number>((r) => (onClosed = r));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: bearer(secret),
    on: { connected: () => onConnected(), closed: (e) => onClosed((e as { code: number }).code) },
  });
  return { client, connected, closed };
}

/** Keeps a sparsifyJobEvents subscription open on `client` until the socket goes; returns its errors. */
function holdSubscription(client: Client): { errors: unknown[] } {
  const seen = { errors: [] as unknown[] };
  client.subscribe(
    { query: "subscription { sparsifyJobEvents { id } }" },
    { next: () => {}, error: (e) => seen.errors.push(e), complete: () => {} },
  );
  return seen;
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`timed out after ${ms} ms waiting for ${what}`)))]);

describe("access control", () => {
  let stack: Stack;
  let builder: OperationBuilder;
  const secrets = {} as Record<Role, string>;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    builder = await OperationBuilder.load((q) => stack.gql(q));
    secrets[Role.ADMIN] = stack.token;
    secrets[Role.VIEWER] = await stack.tokenFor(Role.VIEWER, "sweep-viewer");
    secrets[Role.OPERATOR] = await stack.tokenFor(Role.OPERATOR, "sweep-operator");
  });
  afterAll(() => stack?.close());

  const fields = (kind: OperationKind) => builder.rootFields(kind).map((f) => f.name);
  const ops = (kinds: OperationKind[]): BuiltOperation[] =>
    kinds.flatMap((kind) => fields(kind).map((f) => builder.build(kind, f)));

  /** Runs every root field as `role`; returns the mismatches with the expected outcome. */
  async function sweep(role: Role): Promise<string[]> {
    const mismatches: string[] = [];
    for (const op of ops(["query", "mutation"])) {
      const res = await stack.gql(op.query, op.variables, bearer(secrets[role]));
      const expected = hasRole(role, requiredRole(op.kind, op.field)) ? "ran" : "FORBIDDEN";
      const got = verdict(op.field, res.errors);
      if (got !== expected) mismatches.push(`${op.kind} ${op.field}: expected ${expected}, got ${got}`);
    }
    const client = wsClient(stack.wsUrl, secrets[role]);
    try {
      for (const op of ops(["subscription"])) {
        const expected = hasRole(role, requiredRole(op.kind, op.field)) ? "ran" : "FORBIDDEN";
        const got = subscriptionVerdict(op.field, await firstOutcome(client, op.query, op.variables));
        if (got !== expected) mismatches.push(`subscription ${op.field}: expected ${expected}, got ${got}`);
      }
    } finally {
      await client.dispose();
    }
    return mismatches;
  }

  describe("every root field, generically from the live schema", () => {
    it("the sweep sees the whole schema and the rules name only existing fields", () => {
      for (const kind of KINDS) expect(fields(kind).length, kind).toBeGreaterThan(0);
      for (const f of OPERATOR_MUTATIONS) expect(fields("mutation")).toContain(f);
      for (const f of ADMIN_QUERIES) expect(fields("query")).toContain(f);
    });

    it.each([
      ["no token", { authorization: "" }],
      ["an unknown token", bearer("spg_not-a-real-token")],
      ["a malformed header", { authorization: "Basic dXNlcjpwYXNz" }],
    ])("with %s, every query and mutation is UNAUTHENTICATED at its own field (HTTP)", async (_name, headers) => {
      const mismatches: string[] = [];
      for (const op of ops(["query", "mutation"])) {
        const res = await stack.gql(op.query, op.variables, headers);
        const got = verdict(op.field, res.errors);
        if (got !== "UNAUTHENTICATED") mismatches.push(`${op.kind} ${op.field}: ${got}`);
      }
      expect(mismatches).toEqual([]);
    });

    it("without a valid token no subscription can even start: the WebSocket closes 4401", async () => {
      for (const secret of [null, "spg_not-a-real-token"]) {
        const client = wsClient(stack.wsUrl, secret);
        for (const op of ops(["subscription"])) {
          const outcome = await firstOutcome(client, op.query, op.variables, 3_000);
          expect(outcome, `${op.field} with ${secret ?? "no token"}`).toEqual({ kind: "closed", code: 4401 });
        }
        await client.dispose();
      }
    });

    it.each(ROLES)("as %s, exactly the fields of that role run and every other one is FORBIDDEN", async (role) => {
      expect(await sweep(role)).toEqual([]);
    });

    it.each(ROLES)("me answers a %s with its name and role", async (role) => {
      const me = ok<any>(await stack.gql("{ me { name role expiresAt } }", {}, bearer(secrets[role]))).me;
      expect(me).toEqual({ name: role === Role.ADMIN ? "test-admin" : `sweep-${role}`, role: roleEnum(role), expiresAt: null });
    });
  });

  describe("API token lifecycle", () => {
    const create = (name: string, role: string, expiresAt?: string, as = stack.token) =>
      stack.gql(
        "mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { secret token { id name role expiresAt revokedAt createdBy } } }",
        { i: { name, role, expiresAt } },
        bearer(as),
      );

    it("an admin creates a token and sees its secret once; the listing and the schema never carry a secret", async () => {
      const created = ok<any>(await create("lifecycle-viewer", "VIEWER")).createApiToken;
      expect(created.secret).toMatch(/^\S{40,}$/);
      expect(created.token).toMatchObject({ name: "lifecycle-viewer", role: "VIEWER", revokedAt: null, createdBy: "test-admin" });
      expect(ok<any>(await stack.gql("{ me { name role } }", {}, bearer(created.secret))).me).toEqual({
        name: "lifecycle-viewer",
        role: "VIEWER",
      });

      const apiTokenFields = builder.type("ApiToken");
      expect(apiTokenFields.kind).toBe("OBJECT");
      const names = apiTokenFields.kind === "OBJECT" ? apiTokenFields.fields.map((f) => f.name) : [];
      expect(names).toContain("name");
      expect(names.filter((n) => /secret|digest|hash|token/i.test(n))).toEqual([]);

      // Nowhere in the schema can a secret be read back: the one field is the creation's answer.
      const secretFields = builder.schema.types
        .flatMap((t) => ("fields" in t && t.fields ? t.fields.map((f) => `${t.name}.${f.name}`) : []))
        .filter((f) => /secret|digest/i.test(f));
      expect(secretFields).toEqual(["CreatedApiToken.secret"]);

      const listing = ok<any>(await stack.gql(`{ apiTokens { ${names.join(" ")} } }`));
      expect(listing.apiTokens.map((t: any) => t.name)).toEqual(expect.arrayContaining(["test-admin", "lifecycle-viewer"]));
      const text = JSON.stringify(listing);
      expect(text).not.toContain(created.secret);
      expect(text).not.toContain(sha256(created.secret));
    });

    it.each([Role.VIEWER, Role.OPERATOR])("a %s cannot create, list or revoke tokens (FORBIDDEN)", async (role) => {
      const before = await stack.db.query("SELECT count(*)::int AS n FROM api_token");
      expect(codeOf(await create(`by-${role}`, "ADMIN", undefined, secrets[role]))).toBe("FORBIDDEN");
      expect(codeOf(await stack.gql("{ apiTokens { id } }", {}, bearer(secrets[role])))).toBe("FORBIDDEN");
      const [{ id }] = await stack.db.query("SELECT id FROM api_token WHERE name = 'test-admin'");
      expect(
        codeOf(await stack.gql("mutation($id: ID!) { revokeApiToken(id: $id) { id } }", { id }, bearer(secrets[role]))),
      ).toBe("FORBIDDEN");
      expect(await stack.db.query("SELECT count(*)::int AS n FROM api_token")).toEqual(before);
      expect((await stack.db.query('SELECT "revokedAt" FROM api_token WHERE id = $1', [id]))[0].revokedAt).toBeNull();
    });

    it("the database stores only the SHA-256 digest, never the secret", async () => {
      const { secret } = ok<any>(await create("stored-digest", "OPERATOR")).createApiToken;
      const rows = await stack.db.query("SELECT * FROM api_token");
      const row = rows.find((r: any) => r.name === "stored-digest");
      expect(row.digest).toBe(sha256(secret));
      expect(row.digest).toMatch(/^[0-9a-f]{64}$/);
      const everything =
        JSON.stringify(await stack.db.query("SELECT t::text AS row FROM api_token t")) +
        JSON.stringify(await stack.db.query("SELECT e::text AS row FROM event e"));
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(secret.slice(4, 30)); // not even a fragment of the random part
    });

    it("an expired token stops working on HTTP and its open WebSocket is closed with 4401", async () => {
      const expiresAt = new Date(Date.now() + 1_500).toISOString();
      const { secret } = ok<any>(await create("short-lived", "VIEWER", expiresAt)).createApiToken;
      expect(ok<any>(await stack.gql("{ me { name expiresAt } }", {}, bearer(secret))).me).toEqual({
        name: "short-lived",
        expiresAt,
      });
      const ws = watchedClient(stack.wsUrl, secret);
      const sub = holdSubscription(ws.client);
      await within(ws.connected, 1_000, "the socket to connect");
      expect(await within(ws.closed, 4_000, "the expiry to close the socket")).toBe(4401);
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
      await waitFor(() => sub.errors.length === 1, { timeout: 1_000, what: "the subscription to end with the socket" });
      expect((sub.errors[0] as { code?: number }).code).toBe(4401);
      expect(codeOf(await stack.gql("{ me { name } }", {}, bearer(secret)))).toBe("UNAUTHENTICATED");
      expect(await handshake(stack.wsUrl, { authorization: `Bearer ${secret}` })).toMatchObject({ acked: false, code: 4401 });
      await ws.client.dispose();
    });

    it("a revoked token is refused on HTTP at once and its open WebSocket is closed with 4401", async () => {
      const created = ok<any>(await create("to-revoke", "OPERATOR")).createApiToken;
      const ws = watchedClient(stack.wsUrl, created.secret);
      holdSubscription(ws.client);
      await within(ws.connected, 1_000, "the socket to connect");
      expect(ok<any>(await stack.gql("{ me { name } }", {}, bearer(created.secret))).me.name).toBe("to-revoke"); // now cached

      const revoked = ok<any>(
        await stack.gql("mutation($id: ID!) { revokeApiToken(id: $id) { id name revokedAt } }", { id: created.token.id }),
      ).revokeApiToken;
      expect(revoked.revokedAt).not.toBeNull();
      expect(codeOf(await stack.gql("{ me { name } }", {}, bearer(created.secret)))).toBe("UNAUTHENTICATED");
      expect(await within(ws.closed, 2_000, "the revocation to close the socket")).toBe(4401);
      expect(await handshake(stack.wsUrl, { authorization: `Bearer ${created.secret}` })).toMatchObject({
        acked: false,
        code: 4401,
      });
      const listed = ok<any>(await stack.gql("{ apiTokens { name revokedAt } }")).apiTokens.find(
        (t: any) => t.name === "to-revoke",
      );
      expect(listed.revokedAt).toBe(revoked.revokedAt);
      const [event] = await stack.db.query("SELECT actor FROM event WHERE type = 'TOKEN_REVOKED' AND message LIKE '%to-revoke%'");
      expect(event.actor).toBe("test-admin");
      await ws.client.dispose();
    });

    it("a revocation on one gateway replica closes the token's sockets and clears its cache on another", async () => {
      const other: Gateway = await startGateway(stack.config, stack.db, pino({ level: "silent" }));
      try {
        const created = ok<any>(await create("replica-revoke", "VIEWER")).createApiToken;
        const otherGql = (secret: string) =>
          fetch(other.url, {
            method: "POST",
            headers: { "content-type": "application/json", ...bearer(secret) },
            body: JSON.stringify({ query: "{ me { name } }" }),
          }).then((r) => r.json());
        expect(((await otherGql(created.secret)) as any).data.me.name).toBe("replica-revoke"); // cached on the other replica
        const ws = watchedClient(other.url.replace(/^http/, "ws"), created.secret);
        holdSubscription(ws.client);
        await within(ws.connected, 1_000, "the socket to connect");
        ok(await stack.gql("mutation($id: ID!) { revokeApiToken(id: $id) { id } }", { id: created.token.id }));
        expect(await within(ws.closed, 2_000, "the other replica to close the socket")).toBe(4401);
        expect(codeOf((await otherGql(created.secret)) as any)).toBe("UNAUTHENTICATED");
        await ws.client.dispose();
      } finally {
        await other.close();
      }
    });
  });

  describe("WebSocket handshake", () => {
    let dev: Stack;
    beforeAll(async () => {
      dev = await startStack({
        worker: false,
        env: { NODE_ENV: "development", ALLOWED_ORIGINS: "https://ui.example, https://ops.example/" },
      });
    });
    afterAll(() => dev?.close());

    const auth = () => `Bearer ${stack.token}`;

    it("no token → 4401", async () => {
      expect(await handshake(stack.wsUrl)).toMatchObject({ acked: false, code: 4401 });
    });

    it.each([
      ["garbage", "Bearer garbage"],
      ["unknown", "Bearer spg_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
      ["no scheme", "spg_x"],
      ["empty", ""],
      ["huge", `Bearer spg_${"a".repeat(100_000)}`],
    ])("a %s token → 4401", async (_name, authorization) => {
      expect(await handshake(stack.wsUrl, { authorization })).toMatchObject({ acked: false, code: 4401 });
    });

    it("a connectionParams.authorization that is not a string → 4401, not a crash", async () => {
      const socket = new WebSocket(stack.wsUrl, "graphql-transport-ws");
      await new Promise((r) => socket.once("open", r));
      const closed = closeCodeOf(socket);
      socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: { toString: "x" } } }));
      expect(await closed).toBe(4401);
    });

    it.each(["https://evil.example", "http://127.0.0.1.evil.example", "null", "not a url"])(
      "a forbidden Origin %s → 4403 even with a valid token",
      async (origin) => {
        expect(await handshake(stack.wsUrl, { origin, authorization: auth() })).toMatchObject({ acked: false, code: 4403 });
      },
    );

    it("no Origin (a non-browser client) is accepted", async () => {
      const h = await handshake(stack.wsUrl, { authorization: auth() });
      expect(h.acked).toBe(true);
      if (h.acked) h.socket.close();
    });

    it("the gateway's own origin is accepted", async () => {
      const h = await handshake(stack.wsUrl, { origin: `http://127.0.0.1:${stack.gateway.port}`, authorization: auth() });
      expect(h.acked).toBe(true);
      if (h.acked) h.socket.close();
    });

    it("an origin in ALLOWED_ORIGINS is accepted, any other still refused", async () => {
      const devAuth = `Bearer ${dev.token}`;
      for (const origin of ["https://ui.example", "https://ops.example"]) {
        const h = await handshake(dev.wsUrl, { origin, authorization: devAuth });
        expect(h.acked, origin).toBe(true);
        if (h.acked) h.socket.close();
      }
      expect(await handshake(dev.wsUrl, { origin: "https://evil.example", authorization: devAuth })).toMatchObject({
        acked: false,
        code: 4403,
      });
      expect(await handshake(dev.wsUrl, { origin: "https://ui.example.evil.example", authorization: devAuth })).toMatchObject({
        acked: false,
        code: 4403,
      });
    });

    it("in development GraphiQL is served, self-contained, and introspection works", async () => {
      const res = await fetch(dev.url, { headers: { accept: "text/html" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      const html = await res.text();
      expect(html).toMatch(/graphiql/i);
      const offBox = [...html.matchAll(/(?:src|href)\s*=\s*["']?((?:https?:)?\/\/[^"'\s>]+)/gi)]
        .map((m) => m[1]!)
        .filter((u) => !/^(?:https?:)?\/\/(?:127\.0\.0\.1|localhost)[:/]/i.test(u));
      expect(offBox).toEqual([]);
      expect(html).not.toMatch(/@import\s+url\(\s*["']?https?:/i);
      const introspected = ok<any>(await dev.gql("{ __schema { queryType { name } } }"));
      expect(introspected.__schema.queryType.name).toBe("Query");
    });
  });

  describe("actor recording", () => {
    it("a job requested by an operator named alice records alice; bob's cancel records bob", async () => {
      const [{ id: domainId }] = await stack.db.query(
        `INSERT INTO storage_domain (name, path) VALUES ('actors', $1) RETURNING id`,
        [`${stack.root}/actors`],
      );
      const [{ id: diskId }] = await stack.db.query(
        `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable) VALUES ($1, 'actor-disk', 'QCOW2', true) RETURNING id`,
        [domainId],
      );
      const alice = await stack.tokenFor(Role.OPERATOR, "alice");
      const bob = await stack.tokenFor(Role.OPERATOR, "bob");

      const job = ok<any>(
        await stack.gql("mutation($d: ID!) { sparsifyDisk(diskId: $d) { id state requestedBy } }", { d: diskId }, bearer(alice)),
      ).sparsifyDisk;
      expect(job).toMatchObject({ state: "QUEUED", requestedBy: "alice" });
      const [row] = await stack.db.query(`SELECT "requestedBy" FROM sparsify_job WHERE id = $1`, [job.id]);
      expect(row.requestedBy).toBe("alice");

      const cancelled = ok<any>(
        await stack.gql("mutation($id: ID!) { cancelSparsifyJob(id: $id) { state requestedBy } }", { id: job.id }, bearer(bob)),
      ).cancelSparsifyJob;
      expect(cancelled).toEqual({ state: "CANCELLED", requestedBy: "alice" });
      const events = await stack.db.query(`SELECT type, actor FROM event WHERE "jobId" = $1 ORDER BY "createdAt"`, [job.id]);
      expect(events).toEqual([
        { type: "JOB_QUEUED", actor: "alice" },
        { type: "JOB_CANCELLED", actor: "bob" },
      ]);
      const viaApi = ok<any>(
        await stack.gql(
          `query($j: ID!) { events(filter: { jobId: $j }) { edges { node { type actor } } } }`,
          { j: job.id },
          bearer(alice),
        ),
      ).events.edges.map((e: any) => e.node);
      expect(viaApi).toEqual(expect.arrayContaining([{ type: "JOB_QUEUED", actor: "alice" }]));
    });
  });

  describe("token:create CLI", () => {
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [CLI, ...args], {
        env: { ...process.env, DATABASE_URL: stack.databaseUrl, LOG_LEVEL: "silent" },
        timeout: 20_000,
      }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code?: number; stdout: string; stderr: string }) => ({ code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr }),
      );

    beforeAll(() => {
      if (!fs.existsSync(CLI))
        throw new Error(`${CLI} is missing: build first with \`npx tsc -p tsconfig.json\` (npm test does)`);
    });

    it("prints the secret alone on its last line, and it works as a Bearer token", async () => {
      const { code, stdout, stderr } = await run(["--role", "admin", "--name", "cli-x"]);
      expect(code, stderr).toBe(0);
      const last = stdout.trimEnd().split("\n").at(-1)!;
      expect(last).toMatch(/^\S{40,}$/);
      expect(ok<any>(await stack.gql("{ me { name role } }", {}, bearer(last))).me).toEqual({ name: "cli-x", role: "ADMIN" });
      const [row] = await stack.db.query("SELECT digest, role, \"createdBy\" FROM api_token WHERE name = 'cli-x'");
      expect(row).toEqual({ digest: sha256(last), role: "admin", createdBy: "cli" });
    });

    it.each([{ args: ["--role", "root"] }, { args: ["--role", "ADMIN "] }, { args: [] }])(
      "a bad role ($args) exits non-zero with one line naming --role",
      async ({ args }) => {
        const { code, stdout, stderr } = await run(args);
        expect(code).not.toBe(0);
        expect(stdout).toBe("");
        const lines = stderr.trim().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/--role/);
      },
    );
  });

  describe("configuration", () => {
    it("AUTH_DISABLED is refused with NODE_ENV=production, naming the variable", () => {
      expect(() => loadConfig({ NODE_ENV: "production", AUTH_DISABLED: "true" })).toThrow(ConfigError);
      expect(() => loadConfig({ NODE_ENV: "production", AUTH_DISABLED: "true" })).toThrow(/AUTH_DISABLED/);
      expect(loadConfig({ NODE_ENV: "development", AUTH_DISABLED: "true" }).AUTH_DISABLED).toBe(true);
      expect(loadConfig({}).AUTH_DISABLED).toBe(false);
    });

    it("with AUTH_DISABLED=true in development, a request without a token is the admin dev (HTTP and WebSocket)", async () => {
      const open = await startStack({ worker: false, env: { NODE_ENV: "development", AUTH_DISABLED: "true" } });
      try {
        expect(ok<any>(await open.gql("{ me { name role } }", {}, { authorization: "" })).me).toEqual({
          name: "dev",
          role: "ADMIN",
        });
        const vm = ok<any>(
          await open.gql(`mutation { addVm(input: { name: "dev-vm" }) { id } }`, {}, { authorization: "" }),
        ).addVm;
        const [event] = await open.db.query(`SELECT actor FROM event WHERE type LIKE 'VM_%' AND message LIKE '%dev-vm%'`);
        expect(vm.id).toBeTruthy();
        expect(event?.actor).toBe("dev");
        const h = await handshake(open.wsUrl);
        expect(h.acked).toBe(true);
        if (h.acked) h.socket.close();
      } finally {
        await open.close();
      }
    });
  });

  describe("NODE_ENV=production", () => {
    let prod: Stack;
    beforeAll(async () => {
      prod = await startStack({ worker: false, env: { NODE_ENV: "production" } });
    });
    afterAll(() => prod?.close());

    const INTROSPECTIONS = ["{ __schema { queryType { name } } }", `{ __type(name: "Disk") { fields { name } } }`];

    it.each(INTROSPECTIONS)("introspection is rejected over HTTP: %s", async (query) => {
      const res = await prod.gql(query);
      expect(codeOf(res)).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(res.data ?? null).toBeNull();
    });

    it.each(INTROSPECTIONS)("introspection is rejected over WebSocket: %s", async (query) => {
      const client = wsClient(prod.wsUrl, prod.token);
      const outcome = await firstOutcome(client, query, {}, 2_000);
      await client.dispose();
      expect(outcome.kind, JSON.stringify(outcome)).toBe("errors");
      expect(outcomeCodes(outcome).every((c) => c === "GRAPHQL_VALIDATION_FAILED")).toBe(true);
    });

    it("GET /graphql with Accept text/html does not serve GraphiQL", async () => {
      const res = await fetch(prod.url, { headers: { accept: "text/html" } });
      expect(res.headers.get("content-type") ?? "").not.toMatch(/text\/html/);
      expect(await res.text()).not.toMatch(/graphiql|<html/i);
      expect(res.status).toBeLessThan(500);
    });

    const MISSPELLED: [string, string, Record<string, unknown>][] = [
      ["a misspelled field", "{ vmz { id } }", {}],
      ["a misspelled nested field", "{ vms { nmae } }", {}],
      ["a misspelled argument", "{ disks(frist: 1) { totalCount } }", {}],
      ["a misspelled enum literal", `{ disks(orderBy: { field: ALIAZ }) { totalCount } }`, {}],
      [
        "a misspelled input field in variables",
        "mutation($i: AddVmInput!) { addVm(input: $i) { id } }",
        { i: { nme: "x", name: "y" } },
      ],
      [
        "a misspelled enum value in variables",
        'mutation($s: VmStatus!) { setVmStatus(id: "00000000-0000-4000-8000-000000000000", status: $s) { id } }',
        { s: "UPP" },
      ],
    ];

    it.each(MISSPELLED)(
      "%s gets a typed error without a 'Did you mean' suggestion (HTTP and WebSocket)",
      async (_name, query, variables) => {
        const res = await prod.gql(query, variables);
        expect(res.errors?.length, JSON.stringify(res)).toBeGreaterThan(0);
        for (const e of res.errors!) {
          expect(e.extensions?.code).toMatch(/^(GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT)$/);
          expect(e.message).not.toMatch(/did you mean/i);
        }
        const client = wsClient(prod.wsUrl, prod.token);
        const outcome = await firstOutcome(client, query, variables, 2_000);
        await client.dispose();
        expect(outcome.kind, JSON.stringify(outcome)).toBe("errors");
        for (const e of (outcome as { errors: any[] }).errors) {
          expect(e.extensions?.code).toMatch(/^(GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT)$/);
          expect(e.message).not.toMatch(/did you mean/i);
        }
      },
    );

    it("still answers authorised queries", async () => {
      expect(ok<any>(await prod.gql("{ me { role } }")).me.role).toBe("ADMIN");
      expect(codeOf(await prod.gql("{ me { role } }", {}, { authorization: "" }))).toBe("UNAUTHENTICATED");
    });
  });
});
