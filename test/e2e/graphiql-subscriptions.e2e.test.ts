import { createClient } from "graphql-ws";
import { chromium, type Browser, type Page } from "playwright-core";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const WATCH = (id: string) => `subscription Watch { sparsifyJob(id: "${id}") { id state } }`;

/** Replaces the text of one of GraphiQL's Monaco editors as a user would: select all, type. */
async function typeInto(page: Page, uriSuffix: string, text: string): Promise<void> {
  const editor = page.locator(`.monaco-editor[data-uri$="${uriSuffix}"]`);
  await editor.click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text); // no auto-closed brackets, unlike typing key by key
}

/** The result pane as one line (Monaco wraps long lines). */
const resultText = async (page: Page) =>
  (await page.locator('.monaco-editor[data-uri$="-response.json"]').innerText()).replace(/\s+/g, " ");

/**
 * The bundled GraphiQL (served at /graphql) in headless Chromium: a subscription run with the
 * token in the Headers tab authenticates (the headers go out as connectionParams), and one
 * without it says why in words instead of `{"isTrusted":true}`.
 */
describe.runIf(requireTools("chromium"))("GraphiQL subscriptions", () => {
  let stack: Stack;
  let browser: Browser;
  let jobId: string;

  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { GRAPHIQL: "true" } });
    // No worker: the job stays QUEUED, so the subscription's first result is known.
    const [{ id: domainId }] = await stack.db.query(`INSERT INTO storage_domain (name, path) VALUES ('g', $1) RETURNING id`, [
      `${stack.root}/g`,
    ]);
    const [{ id: diskId }] = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, sparsifiable, "actualSize") VALUES ($1, ` +
        "'g1', 'QCOW2', true, 12345) RETURNING id",
      [domainId],
    );
    jobId = ok<any>(await stack.gql(`mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`, { d: diskId })).sparsifyDisk.id;
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function openGraphiQL(): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(stack.url);
    await page.getByRole("button", { name: "Headers" }).click();
    return page;
  }

  it("runs a subscription with the token from the Headers tab and shows its data live", async () => {
    const page = await openGraphiQL();
    await typeInto(page, "-request-headers.json", JSON.stringify({ Authorization: `Bearer ${stack.token}` }));
    await typeInto(page, "-operation.graphql", WATCH(jobId));
    await page.getByRole("button", { name: /Execute query/ }).click();
    await expect.poll(() => resultText(page), { timeout: 20_000 }).toContain('"state": "QUEUED"');
    // Live: a change made elsewhere arrives on the same subscription.
    ok(await stack.gql(`mutation($id: ID!) { cancelSparsifyJob(id: $id) { id } }`, { id: jobId }));
    await expect.poll(() => resultText(page), { timeout: 20_000 }).toContain('"state": "CANCELLED"');
    // Queries go over HTTP with the same headers.
    await typeInto(page, "-operation.graphql", "query Me { me { name role } }");
    await page.getByRole("button", { name: /Execute query/ }).click();
    await expect.poll(() => resultText(page), { timeout: 20_000 }).toContain('"role": "ADMIN"');
    await page.context().close();
  }, 90_000);

  it("says in words that the token is missing or wrong when the socket is closed with 4401", async () => {
    const page = await openGraphiQL();
    await typeInto(page, "-request-headers.json", JSON.stringify({ Authorization: "Bearer spg_not-a-real-token" }));
    await typeInto(page, "-operation.graphql", WATCH(jobId));
    await page.getByRole("button", { name: /Execute query/ }).click();
    await expect.poll(() => resultText(page), { timeout: 20_000 }).toContain("Not authenticated");
    const text = await resultText(page);
    expect(text).toContain("4401");
    expect(text).toContain("Headers tab");
    expect(text).not.toContain("isTrusted");
    await page.context().close();
  }, 90_000);

  it("accepts Authorization in any case in a raw graphql-ws client's connectionParams", async () => {
    for (const key of ["Authorization", "AUTHORIZATION", "authorization"]) {
      const client = createClient({
        url: stack.wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: { [key]: `Bearer ${stack.token}` },
      });
      let first: any;
      for await (const result of client.iterate({ query: WATCH(jobId) })) {
        first = result;
        break; // the job's current state is enough
      }
      await client.dispose();
      expect(first).toMatchObject({ data: { sparsifyJob: { id: jobId } } });
    }
  }, 30_000);
});
