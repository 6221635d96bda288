import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/domain/roles.js";
import { makeExt4Image, makePreallocatedQcow2, makeSnapshot } from "../support/images.js";
import { freePort } from "../support/redis-server.js";
import { requireTools } from "../support/require-tool.js";
import { waitForOpsIdle } from "../support/queue-idle.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { ensureWebBuilt } from "../support/web-build.js";

const MiB = 1024 * 1024;
/** `UPDATE_SCREENSHOTS=1` refreshes the committed ones; otherwise they go to var/ (ignored by git). */
const SHOTS = path.resolve(process.env.UPDATE_SCREENSHOTS === "1" ? "docs/screenshots" : "var/screenshots");
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
const exact = (n: number) => `${n.toLocaleString("en-US")} bytes`;

/**
 * The web UI in headless Chromium against the real stack: gateway, PostgreSQL, Redis, a worker
 * and one real virt-sparsify run. The browser reaches the gateway through a TCP proxy so the
 * test can cut its connections (HTTP and WebSocket) for real while a job runs.
 */
describe.runIf(requireTools("virt-sparsify", "qemu-img", "mke2fs", "debugfs", "chromium"))("web UI end to end", () => {
  let stack: Stack;
  let proxy: TcpProxy;
  let browser: Browser;
  let base: string;
  let operator: string;
  let viewer: string;
  const ids = new Map<string, string>();
  let dbVm: string;
  /** Console errors and page errors of every page; a CSP violation shows up here. */
  const problems: string[] = [];

  const gql = async (query: string, variables?: Record<string, unknown>) => ok<any>(await stack.gql(query, variables));

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport: { width: 1360, height: 820 },
      deviceScaleFactor: 1,
      reducedMotion: "reduce",
    });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      // A cut link logs failed sockets and fetches; those are expected here.
      if (m.type() === "error" && !/WebSocket|Failed to load resource|net::ERR_|Failed to fetch/.test(m.text()))
        problems.push(`console: ${m.text()}`);
    });
    return { context, page };
  }

  async function signIn(page: Page, token: string, screenshot?: string): Promise<void> {
    await page.goto(base);
    const field = page.getByLabel("API token");
    await field.waitFor();
    if (screenshot) await page.screenshot({ path: path.join(SHOTS, screenshot) });
    await field.fill(token);
    await page.keyboard.press("Enter");
    await page.getByRole("navigation", { name: "Main" }).waitFor();
  }

  const row = (page: Page, alias: string) => page.locator(`tr[data-alias="${alias}"]`);

  beforeAll(async () => {
    await ensureWebBuilt();
    await fs.mkdir(SHOTS, { recursive: true });
    stack = await startStack();
    const dir = path.join(stack.root, "vmstore");
    await fs.mkdir(dir);
    await makeExt4Image(path.join(dir, "web.qcow2"), { format: "qcow2", deletedMiB: 200 });
    await makeExt4Image(path.join(dir, "app.qcow2"), { format: "qcow2", deletedMiB: 0 });
    await makeSnapshot("app.qcow2", path.join(dir, "app-snap.qcow2"), { garbageMiB: 20 });
    await makeExt4Image(path.join(dir, "db.raw"), { format: "raw", deletedMiB: 30 });
    await makePreallocatedQcow2(path.join(dir, "legacy.qcow2"), { deletedMiB: 0 });
    const domain = (
      await gql(`mutation($p: String!) { addStorageDomain(input: { name: "vmstore", path: $p }) { id } }`, { p: dir })
    ).addStorageDomain;
    await gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domain.id });
    for (const e of (await gql(`{ disks(first: 50) { edges { node { id alias } } } }`)).disks.edges)
      ids.set(e.node.alias, e.node.id);
    expect([...ids.keys()].sort()).toEqual(["app", "db", "legacy", "web"]);

    // web is attached to a VM that is down (no blocker); db and legacy to one that runs.
    const webVm = (await gql(`mutation { addVm(input: { name: "web-vm" }) { id } }`)).addVm.id;
    dbVm = (await gql(`mutation { addVm(input: { name: "db-vm" }) { id } }`)).addVm.id;
    const attach = (vmId: string, alias: string) =>
      gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: true) { id } }`, {
        v: vmId,
        d: ids.get(alias),
      });
    await attach(webVm, "web");
    await attach(dbVm, "db");
    await attach(dbVm, "legacy");
    await gql(`mutation($id: ID!) { setVmStatus(id: $id, status: UP) { status } }`, { id: dbVm });

    operator = await stack.tokenFor(Role.OPERATOR, "alice");
    viewer = await stack.tokenFor(Role.VIEWER, "victor");
    proxy = new TcpProxy(await freePort(), { host: "127.0.0.1", port: stack.gateway.port });
    await proxy.up();
    base = `http://127.0.0.1:${proxy.port}`;
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.down();
    await stack?.close();
  });

  it("serves the built UI at / with a CSP, cached hashed assets, client routes and 404s, and leaves the API alone", async () => {
    const index = await fetch(`${base}/`, { headers: { accept: "text/html" } });
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/text\/html/);
    expect(index.headers.get("cache-control")).toBe("no-cache");
    const csp = index.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ wss:\/\/127\.0\.0\.1:\d+/);
    const html = await index.text();
    expect(html).not.toMatch(/https?:\/\//); // no CDN
    const script = html.match(/src="(\/assets\/[^"]+\.js)"/)![1]!;

    const asset = await fetch(`${base}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    expect(asset.headers.get("cache-control")).toContain("immutable");

    const route = await fetch(`${base}/jobs`, { headers: { accept: "text/html" } });
    expect(route.status).toBe(200);
    expect(await route.text()).toBe(html);
    expect((await fetch(`${base}/assets/missing-123.js`)).status).toBe(404);
    expect((await fetch(`${base}/nothing.png`)).status).toBe(404);

    const graphiql = await fetch(`${base}/graphql`, { headers: { accept: "text/html" } });
    expect(await graphiql.text()).toMatch(/graphiql/i);
    expect(graphiql.headers.get("content-security-policy")).toBeNull();
    const me = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${operator}` },
      body: JSON.stringify({ query: "{ me { name role } }" }),
    });
    expect(await me.json()).toEqual({ data: { me: { name: "alice", role: "OPERATOR" } } });
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: "ok" });
  });

  it("refuses a bad token in words; a viewer sees the role and the disks but no Sparsify controls", async () => {
    const { context, page } = await newPage();
    await page.goto(base);
    await page.getByLabel("API token").fill("not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toMatch(/token is unknown, revoked or expired\. Sign in again/i);

    await signIn(page, viewer);
    await expect.poll(() => page.locator(".who").textContent()).toBe("Signed in as victorViewer");
    await row(page, "web").waitFor();
    expect(await page.locator("tbody tr[data-alias]").count()).toBe(4);
    expect(await page.locator("table.disks input[type=checkbox]").count()).toBe(0);
    expect(await page.getByRole("button", { name: /^Sparsify/ }).count()).toBe(0);
    expect(
      await page.getByText(/is a viewer: you can look and follow jobs; sparsifying needs an operator or admin token/).count(),
    ).toBe(1);
    await context.close();
  });

  it("shows every reason a blocked disk cannot be sparsified, in words", async () => {
    const { context, page } = await newPage();
    await signIn(page, operator, "sign-in.png");
    await page.getByLabel("Sparsifiable", { exact: true }).selectOption("no");
    await expect
      .poll(() =>
        page.locator("tbody tr[data-alias]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-alias")).sort()),
      )
      .toEqual(["db", "legacy"]);

    const legacy = row(page, "legacy");
    expect(await legacy.getByRole("checkbox").isDisabled()).toBe(true);
    expect(await legacy.locator(".badge").textContent()).toBe("Blocked");
    await legacy.getByRole("button", { name: /Why\? 2 reasons/ }).click();
    const { disk } = await gql(`query($id: ID!) { disk(id: $id) { sparsifyBlockers { code message } } }`, {
      id: ids.get("legacy"),
    });
    expect(disk.sparsifyBlockers.map((b: any) => b.code).sort()).toEqual(["PREALLOCATED", "VM_NOT_DOWN"]);
    const list = page.getByRole("list", { name: "Reasons legacy cannot be sparsified" });
    await list.waitFor();
    expect(await list.getByRole("listitem").allTextContents()).toEqual(disk.sparsifyBlockers.map((b: any) => b.message));
    expect(await list.textContent()).toContain("Attached to VM db-vm, which is UP");
    await page.screenshot({ path: path.join(SHOTS, "blocked-reasons.png") });
    await context.close();
  });

  it("shows a disk's warnings before confirming, and a refusal from the gateway with its reasons", async () => {
    const { context, page } = await newPage();
    await signIn(page, operator);
    const app = row(page, "app");
    await app.getByRole("checkbox", { name: "Select app" }).check();
    await page.getByRole("button", { name: "Sparsify 1 disk…" }).click();
    const dialog = page.getByRole("dialog", { name: "Sparsify app" });
    await dialog.waitFor();
    expect(await dialog.getByRole("list", { name: "Warnings for app" }).textContent()).toMatch(
      /The disk has 1 snapshot\(s\): only the active layer is sparsified/,
    );

    // Meanwhile someone plugs the disk into a running VM: the gateway refuses and says why.
    await gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: true) { id } }`, {
      v: dbVm,
      d: ids.get("app"),
    });
    await dialog.getByRole("button", { name: "Sparsify 1 disk" }).click();
    const alert = dialog.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(
      /app was not started\. Disk app cannot be sparsified now:Attached to VM db-vm, which is UP; shut it down or unplug the disk/,
    );
    // One sparsifyDisks request answered for every selected disk; the summary says what it did.
    expect(await dialog.getByRole("status").textContent()).toBe("0 started · 1 not started");
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "hidden" });
    await gql(`mutation($v: ID!, $d: ID!) { detachDisk(vmId: $v, diskId: $d) }`, { v: dbVm, d: ids.get("app") });
    await context.close();
  });

  it(
    "sparsifies the disk with 200 MiB deleted through the confirmation dialog, live across a lost " +
      "connection, and shows the bytes reclaimed",
    async () => {
      // A second tab on the jobs page must see the job appear and finish without a reload.
      const history = await newPage();
      await signIn(history.page, operator);
      await history.page.getByRole("link", { name: "Jobs" }).click();
      await history.page.getByText("No job yet").waitFor();

      const { context, page } = await newPage();
      await signIn(page, operator);
      await page.getByLabel("Alias contains").fill("web");
      await expect.poll(() => page.locator("tbody tr[data-alias]").count()).toBe(1);
      const web = row(page, "web");
      const before = (await gql(`query($id: ID!) { disk(id: $id) { actualSize virtualSize } }`, { id: ids.get("web") })).disk;
      expect(before.actualSize).toBeGreaterThan(200 * MiB);
      expect(await web.locator(".badge").textContent()).toBe("Sparsifiable");
      expect(await web.locator(`data[value="${before.actualSize}"]`).getAttribute("title")).toBe(exact(before.actualSize));
      expect(await web.getByRole("img").getAttribute("aria-label")).toMatch(/^Actual size .+ is \d+% of the virtual size 1 GiB$/);

      await web.getByRole("checkbox", { name: "Select web" }).check();
      await page.getByRole("button", { name: "Sparsify 1 disk…" }).click();
      const dialog = page.getByRole("dialog", { name: "Sparsify web" });
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain("Are you sure you want to sparsify the following disks?");
      // Actual and virtual size (then the reclaim estimate, on gateways that have one).
      const sizes = await dialog
        .locator('tr[data-alias="web"] data')
        .evaluateAll((els) => els.map((e) => e.getAttribute("value")));
      expect(sizes.slice(0, 2)).toEqual([String(before.actualSize), String(before.virtualSize)]);
      // Keyboard: the confirm button has the focus, Enter starts the job.
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Sparsify 1 disk");
      await page.screenshot({ path: path.join(SHOTS, "confirm-dialog.png") });
      await page.keyboard.press("Enter");
      await dialog.waitFor({ state: "hidden" });

      const card = page.locator("article.job-card").filter({ hasText: "web" });
      await card.waitFor();
      const bar = card.getByRole("progressbar", { name: "Progress of sparsifying web" });
      const seen: number[] = [];
      // The state is read before the bar: both come from one job object, so a SUCCEEDED state read
      // first guarantees the bar read after it is the final value (the other order raced: 95, then SUCCEEDED).
      const sample = async () => {
        const state = await card.getAttribute("data-state");
        const v = Number(await bar.getAttribute("aria-valuenow"));
        if (seen.at(-1) !== v) seen.push(v);
        return state;
      };
      // Watch the bar move, then cut every connection of the browser while the job runs.
      const deadline = Date.now() + 90_000;
      while (!(seen.some((v) => v > 0 && v < 100) && seen.length >= 2) && Date.now() < deadline) {
        if ((await sample()) === "SUCCEEDED") break;
        await sleep(100);
      }
      await page.screenshot({ path: path.join(SHOTS, "job-running.png") });
      await proxy.down();
      await page.getByText("Connection lost — reconnecting…").waitFor();
      await sleep(1_500);
      await proxy.up();
      await page
        .getByRole("status")
        .filter({ hasText: /^Live$/ })
        .waitFor({ timeout: 30_000 });

      let midway = false;
      while ((await sample()) !== "SUCCEEDED" && Date.now() < deadline + 30_000) {
        expect(await card.getAttribute("data-state")).not.toMatch(/FAILED|CANCELLED/);
        if (!midway && seen.at(-1)! >= 50) {
          midway = true;
          await page.screenshot({ path: path.join(SHOTS, "job-running.png") });
        }
        await sleep(100);
      }
      expect(await card.getAttribute("data-state")).toBe("SUCCEEDED");
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(seen.at(-1)).toBe(100);

      const { sparsifyJobs } = await gql(
        "query($d: ID!) { sparsifyJobs(filter: { diskId: $d }) { edges { node { id state reclaimedBytes " +
          "actualSizeAfter requestedBy } } } }",
        { d: ids.get("web") },
      );
      const job = sparsifyJobs.edges[0].node;
      expect(job).toMatchObject({ state: "SUCCEEDED", requestedBy: "alice" });
      expect(job.reclaimedBytes).toBeGreaterThan(195 * MiB);
      const result = card.locator(".result");
      expect(await result.textContent()).toMatch(/^Reclaimed .+ MiB\. Actual size .+ → .+\.$/);
      expect(await result.locator(".reclaimed data").getAttribute("value")).toBe(String(job.reclaimedBytes));
      expect(await result.locator(".reclaimed data").getAttribute("title")).toBe(exact(job.reclaimedBytes));
      expect(await result.locator("data").last().getAttribute("value")).toBe(String(job.actualSizeAfter));
      // The table catches up too: the new actual size, sparsifiable again.
      await web.locator(`data[value="${job.actualSizeAfter}"]`).waitFor();
      expect(await web.locator(".chip").last().textContent()).toBe("OK");
      await page.getByLabel("Alias contains").fill("");
      await expect.poll(() => page.locator("tbody tr[data-alias]").count()).toBe(4);
      await row(page, "legacy")
        .getByRole("button", { name: /Why\? 2 reasons/ })
        .click();
      await row(page, "app")
        .getByRole("button", { name: /1 warning/ })
        .click();
      await page.screenshot({ path: path.join(SHOTS, "disks.png"), fullPage: true });

      // The jobs tab lost its socket too, caught up, and shows the finished job: who, disk, outcome, bytes.
      const jobRow = history.page.locator(`tr[data-job-id="${job.id}"]`);
      await jobRow.and(history.page.locator('[data-state="SUCCEEDED"]')).waitFor({ timeout: 30_000 });
      const cells = await jobRow.locator("td, th").allTextContents();
      expect(cells.slice(1, 4)).toEqual(["alice", "web", "Succeeded"]);
      expect(await jobRow.locator(`data[value="${job.reclaimedBytes}"]`).count()).toBe(2);
      await history.page.screenshot({ path: path.join(SHOTS, "jobs.png") });

      await history.context.close();
      await context.close();
      expect(problems).toEqual([]);
    },
    180_000,
  );

  it(
    "lists the storage domains with their reclaimable total, policy and schedule, and filters the " +
      "disks that need sparsifying",
    async () => {
      // The sparsify before this test queues fresh estimates; the total is read once they have ended.
      const vmstoreId = (await gql(`{ storageDomains { id name } }`)).storageDomains.find((d: any) => d.name === "vmstore").id;
      await waitForOpsIdle(stack, vmstoreId);
      const vmstore = (await gql(`{ storageDomains { id name reclaimableTotal } }`)).storageDomains.find(
        (d: any) => d.name === "vmstore",
      );
      await gql(
        `mutation($d: ID!) { setSparsifySchedule(storageDomainId: $d, schedule: { cron: "0 2 * * 6", ` +
          `timezone: "Europe/Paris", windowStart: "22:00", windowEnd: "04:00", maxConcurrent: 2 }) { id } }`,
        { d: vmstore.id },
      );
      const { context, page } = await newPage();
      try {
        await signIn(page, viewer);
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Storage domains" }).click();
        expect(new URL(page.url()).pathname).toBe("/domains");
        await page.getByRole("heading", { name: "Storage domains" }).waitFor();
        const domainRow = page.locator('tr[data-domain="vmstore"]');
        await domainRow.waitFor();
        expect(await page.locator("table.domains thead th").allTextContents()).toEqual([
          "Domain",
          "Status",
          "Reclaimable",
          "Needs sparsify when",
          "Schedule",
          "Method",
        ]);
        expect(await domainRow.locator(".badge").textContent()).toBe("Active");
        const total = domainRow.locator(`td.num data[value="${vmstore.reclaimableTotal}"]`);
        expect(await total.getAttribute("title")).toBe(exact(vmstore.reclaimableTotal));
        expect(await domainRow.locator(".col-policy").textContent()).toMatch(
          /^default At least .+ and .+% of the disk's actual size$/,
        );
        expect(await domainRow.locator(".col-schedule").textContent()).toBe(
          "cron 0 2 * * 6 (Europe/Paris), window 22:00–04:00, up to 2 at once; not run yet",
        );
        expect(await domainRow.locator(".col-schedule code").textContent()).toBe("0 2 * * 6");
        // The sparsify method has a column of its own; nothing changes until an admin opts in to DIRECT.
        expect(await domainRow.locator(".col-method").textContent()).toBe("virt-sparsify");
        expect(await page.getByRole("note").textContent()).toMatch(
          /a viewer: you can look here; adding, scanning, removing a domain or changing its policy and schedule needs an admin token/,
        );
        await page.screenshot({ path: path.join(SHOTS, "domains.png") });
      } finally {
        await gql(`mutation($d: ID!) { removeSparsifySchedule(storageDomainId: $d) }`, { d: vmstore.id });
      }
      await page.reload();
      await page
        .locator('tr[data-domain="vmstore"] .col-schedule')
        .filter({ hasText: /^No schedule$/ })
        .waitFor();

      // A low threshold so some (estimated) disks need sparsifying; the default comes back afterwards.
      const policy = (p: string) =>
        gql(`mutation($d: ID!) { setReclaimPolicy(storageDomainId: $d, policy: ${p}) { id } }`, { d: vmstore.id });
      await policy("{ minReclaimableBytes: 1048576, minReclaimableRatio: 0.01 }");
      try {
        const needing = (
          await gql(`{ disks(first: 200, filter: { needsSparsify: true }) { edges { node { alias } } } }`)
        ).disks.edges
          .map((e: any) => e.node.alias)
          .sort();
        expect(needing.length).toBeGreaterThan(0);
        await page.getByRole("link", { name: "Disks", exact: true }).click();
        await row(page, "web").waitFor();
        await page.getByLabel("Needs sparsify").check();
        await expect.poll(() => new URL(page.url()).searchParams.get("needs")).toBe("1");
        await expect
          .poll(() =>
            page.locator("tbody tr[data-alias]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-alias")).sort()),
          )
          .toEqual(needing);
        expect(await page.locator("tbody tr[data-alias] .worth").count()).toBe(needing.length);
      } finally {
        await policy("{ minReclaimableBytes: null, minReclaimableRatio: null }");
      }
      await context.close();
      expect(problems).toEqual([]);
    },
  );

  it("pages through 5,000 disks: keyset pages forward and back, sort, page size and filters kept in the URL", async () => {
    // Synthetic disks with no image files: the domain is marked scanned, or the worker's first scan of a
    // never-scanned domain would (rightly) find them all MISSING.
    const bulkDir = path.join(stack.root, "bulk");
    await fs.mkdir(bulkDir);
    const [{ id: bulk }] = await stack.db.query(
      `INSERT INTO storage_domain (name, path, "lastScannedAt") VALUES ('bulk', $1, now()) RETURNING id`,
      [bulkDir],
    );
    await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, "virtualSize", "actualSize", sparsifiable, blockers)
       SELECT $1, 'bulk-' || lpad(i::text, 5, '0'), 'QCOW2', 10737418240, i::bigint * 4096, i % 4 <> 0,
              CASE WHEN i % 4 = 0 THEN ('[{"code":"VM_NOT_DOWN","message":' ||
                '"Attached to VM vm-1, which is UP; shut it down or unplug the disk"}]')::jsonb
            ELSE '[]'::jsonb END
         FROM generate_series(1, 5000) AS i`,
      [bulk],
    );
    const { context, page } = await newPage();
    await signIn(page, viewer);
    // The token survives a reload of the tab; the view comes from the URL.
    await page.goto(`${base}/?domain=${bulk}&sort=ALIAS&dir=ASC&size=200`);
    const range = page.locator(".pager-range");
    const firstAlias = () => page.locator("tbody tr[data-alias]").first().getAttribute("data-alias");
    const pageTo = async (button: string, text: string, first: string) => {
      await page.getByRole("button", { name: button, exact: true }).click();
      await expect.poll(() => range.textContent()).toBe(text);
      expect(await firstAlias()).toBe(first);
    };
    await expect.poll(() => range.textContent()).toBe("1–200 of 5,000 disks");
    expect(await page.locator("tbody tr[data-alias]").count()).toBe(200);
    expect(await firstAlias()).toBe("bulk-00001");
    await pageTo("Next", "201–400 of 5,000 disks", "bulk-00201");
    await pageTo("Next", "401–600 of 5,000 disks", "bulk-00401");
    expect(await page.getByText("Page 3 of 25").count()).toBe(1);
    await pageTo("Previous", "201–400 of 5,000 disks", "bulk-00201");
    await pageTo("First", "1–200 of 5,000 disks", "bulk-00001");

    await page.getByRole("button", { name: /^Actual size/ }).click();
    await expect.poll(firstAlias).toBe("bulk-05000");
    expect(await page.locator("th[aria-sort=descending]").textContent()).toMatch(/^Actual size/);
    await page.getByLabel("Sparsifiable", { exact: true }).selectOption("no");
    await expect.poll(() => range.textContent()).toBe("1–200 of 1,250 disks");
    expect(await firstAlias()).toBe("bulk-05000");
    await page.getByLabel("Rows per page").selectOption("25");
    await expect.poll(() => range.textContent()).toBe("1–25 of 1,250 disks");
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({
      domain: bulk,
      sort: "ACTUAL_SIZE",
      dir: "DESC",
      size: "25",
      sparsifiable: "no",
    });
    await context.close();
    expect(problems).toEqual([]);
  });
});
