import fs from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { execa } from "execa";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/domain/roles.js";
import { holdImage } from "../support/hold-image.js";
import { waitForOpsIdle } from "../support/queue-idle.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { ensureWebBuilt } from "../support/web-build.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
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
const AXE_SOURCE = await fs.readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
/** With the VMs list and one VM's view (its id is known once beforeAll has added it). */
const PAGES = ["/", "/jobs", "/domains", "/charts", "/hosts", "/tokens", "/events"];
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];

/**
 * The administration pages and the charts in headless Chromium against the real gateway, worker
 * (scans with qemu-img), PostgreSQL and Redis. No virt-sparsify run: jobs for the charts are
 * seeded in SQL.
 */
describe.runIf(requireTools("qemu-img", "qemu-system-x86_64", "chromium"))("web UI administration and charts", () => {
  let stack: Stack;
  let browser: Browser;
  let admin: string;
  let operator: string;
  let viewer: string;
  let store: string;
  let vmId: string;
  const problems: string[] = [];
  const gql = async (query: string, variables?: Record<string, unknown>) => ok<any>(await stack.gql(query, variables));

  async function newPage(
    opts: { viewport?: { width: number; height: number }; bypassCSP?: boolean } = {},
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport: opts.viewport ?? { width: 1280, height: 800 },
      deviceScaleFactor: 1,
      reducedMotion: "reduce",
      bypassCSP: opts.bypassCSP ?? false,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" && !/WebSocket|Failed to load resource|net::ERR_/.test(m.text()))
        problems.push(`console: ${m.text()}`);
    });
    return { context, page };
  }

  async function signIn(page: Page, token: string, to = "/"): Promise<void> {
    await page.goto(stack.url.replace("/graphql", to));
    const field = page.getByLabel("API token");
    await field.waitFor();
    await field.fill(token);
    await page.keyboard.press("Enter");
    await page.getByRole("navigation", { name: "Main" }).waitFor();
  }

  /** Horizontal overflow of the page in px, and the innermost elements that stick out past the window (outside any scroll box). */
  const overflowOf = (page: Page) =>
    page.evaluate(() => {
      const over = document.documentElement.scrollWidth - window.innerWidth;
      // Name the innermost elements that stick out past the window (outside any scroll box), so a failure says where to look.
      const out = (e: Element) => e.getBoundingClientRect().right > window.innerWidth + 1;
      const scrolled = (e: Element) => {
        for (let p = e.parentElement; p && p !== document.body; p = p.parentElement)
          if (getComputedStyle(p).overflowX !== "visible") return true;
        return false;
      };
      const culprits = [...document.querySelectorAll("body *")].filter(
        (e) => out(e) && !scrolled(e) && ![...e.children].some(out),
      );
      return { over, culprits: culprits.slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`) };
    });

  /** A client-side navigation, as a click on a link does (axe, once injected, stays in the window). */
  const navigate = (page: Page, to: string) =>
    page.evaluate((route) => {
      window.history.pushState(null, "", route);
      window.dispatchEvent(new Event("app:navigate"));
    }, to);

  /** axe's serious and critical findings inside the open dialog, and the page's overflow with it open. */
  async function auditDialog(page: Page, what: string, found: string[]): Promise<void> {
    const violations: { id: string; impact: string; nodes: { html: string }[] }[] = await page.evaluate(
      async () =>
        (await (window as any).axe.run(document.querySelector("dialog[open]"), { resultTypes: ["violations"] })).violations,
    );
    for (const v of violations.filter((v) => v.impact === "serious" || v.impact === "critical"))
      found.push(`${what}: ${v.id} (${v.impact}) on ${v.nodes.map((n) => n.html.slice(0, 80)).join(" | ")}`);
    const overflow = await overflowOf(page);
    if (overflow.over > 0) found.push(`${what}: ${overflow.over}px overflow (${overflow.culprits.join(", ")})`);
  }

  const go = async (page: Page, name: string) => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
  };

  beforeAll(async () => {
    await ensureWebBuilt();
    await fs.mkdir(SHOTS, { recursive: true });
    stack = await startStack();
    store = path.join(stack.root, "store");
    await fs.mkdir(store);
    for (const [name, size] of [
      ["big.qcow2", "4G"],
      ["mid.qcow2", "2G"],
      ["small.qcow2", "1G"],
    ])
      await execa("qemu-img", ["create", "-q", "-f", "qcow2", path.join(store, name), size]);
    const { addStorageDomain } = await gql(
      `mutation($p: String!) { addStorageDomain(input: { name: "store", path: $p }) { id } }`,
      { p: store },
    );
    await gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: addStorageDomain.id });
    // Sizes and estimates known exactly, and finished jobs for the reclaimed-over-time chart.
    const disks: { id: string; alias: string }[] = await stack.db.query(`SELECT id, alias FROM disk ORDER BY alias`);
    expect(disks.map((d) => d.alias)).toEqual(["big", "mid", "small"]);
    const big = disks[0]!.id;
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    for (const [before, after, at] of [
      [500, 300, yesterday],
      [400, 300, new Date().toISOString()],
    ] as const) {
      await stack.db.query(
        `INSERT INTO sparsify_job (id, "diskId", "storageDomainId", state, "actualSizeBefore", "actualSizeAfter", "startedAt",
          "finishedAt", "createdAt")
         VALUES (gen_random_uuid(), $1, $2, 'SUCCEEDED', $3, $4, $5::timestamptz - interval '20 seconds', $5, $5::timestamptz
           - interval '30 seconds')`,
        [big, addStorageDomain.id, before * MiB, after * MiB, at],
      );
    }
    // One second apart: the trail is newest first, and equal times would order by random id.
    for (let i = 0; i < 30; i++) {
      await stack.db.query(
        `INSERT INTO event (type, actor, message, "diskId", "createdAt") VALUES ('PAGING_PROBE', 'test', ` +
          "$1, $2, now() - interval '1 hour' + $3 * interval '1 second')",
        [`probe ${i}`, i % 2 ? big : null, i],
      );
    }
    // A VM for the VMs pages (and for the refusal in the bulk request): big is its disk; it is down.
    vmId = (await gql(`mutation { addVm(input: { name: "app-vm" }) { id } }`)).addVm.id;
    await gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: true) { id } }`, { v: vmId, d: big });
    admin = await stack.tokenFor(Role.ADMIN, "ada");
    operator = await stack.tokenFor(Role.OPERATOR, "otto");
    viewer = await stack.tokenFor(Role.VIEWER, "vera");
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("adds a storage domain: a refused path is explained under the field, a good one is added and scanned", async () => {
    const { context, page } = await newPage();
    await signIn(page, admin, "/domains");
    const form = page.getByRole("form", { name: "Add a storage domain" });
    await form.getByLabel("Name").fill("outside");
    await form.getByLabel("Path on the hosts").fill("relative/dir");
    expect(await form.getByText("The path must be absolute (start with /).").count()).toBe(1);
    expect(await form.getByRole("button", { name: "Add storage domain" }).isDisabled()).toBe(true);

    await form.getByLabel("Path on the hosts").fill("/etc");
    await form.getByRole("button", { name: "Add storage domain" }).click();
    await expect.poll(() => form.getByLabel("Path on the hosts").getAttribute("aria-invalid")).toBe("true");
    expect(await form.textContent()).toMatch(/Storage domain path refused: path \/etc is not inside the allowed storage roots/);

    const second = path.join(stack.root, "second");
    await fs.mkdir(second);
    await form.getByLabel("Name").fill("second");
    await form.getByLabel("Path on the hosts").fill(second);
    await form.getByRole("button", { name: "Add storage domain" }).click();
    await expect.poll(() => form.getByRole("status").textContent()).toBe("Storage domain second added; a host is scanning it.");
    await page.locator('tr[data-domain="second"]').waitFor();
    expect(await form.getByLabel("Path on the hosts").getAttribute("aria-invalid")).toBeNull();
    await page.screenshot({ path: path.join(SHOTS, "domains-admin.png") });

    // Deactivate and activate again, from the keyboard.
    const row = page.locator('tr[data-domain="second"]');
    await row.getByRole("button", { name: "Deactivate second" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => row.locator(".badge").textContent()).toBe("Inactive");
    await row.getByRole("button", { name: "Activate second" }).click();
    await expect.poll(() => row.locator(".badge").textContent()).not.toBe("Inactive");
    // Adding and activating scan the domain too: once those have ended, the button must add exactly one scan.
    const [{ id: secondId }] = await stack.db.query(`SELECT id FROM storage_domain WHERE name = 'second'`);
    await waitForOpsIdle(stack, secondId);
    const scans = async (): Promise<number> =>
      Number(
        (
          await stack.db.query(`SELECT count(*) AS n FROM event WHERE type = 'SCAN_FINISHED' AND "storageDomainId" = $1`, [
            secondId,
          ])
        )[0].n,
      );
    const before = await scans();
    await row.getByRole("button", { name: "Scan second" }).click();
    await expect.poll(scans, { timeout: 30_000 }).toBe(before + 1);
    await waitForOpsIdle(stack, secondId);
    expect(await scans()).toBe(before + 1);
    await context.close();
  });

  it("sets a schedule with the next runs previewed in words, then removes the schedule", async () => {
    const { context, page } = await newPage();
    await signIn(page, admin, "/domains");
    const row = page.locator('tr[data-domain="store"]');
    await row.getByRole("button", { name: "Policy & schedule… of store" }).click();
    const dialog = page.getByRole("dialog", { name: "Policy and schedule of store" });
    await dialog.waitFor();
    const schedule = dialog.getByRole("form", { name: "Periodic sparsify" });
    await schedule.getByLabel("Time zone").fill("UTC");
    await schedule.getByLabel("Cron expression").fill("0 61 * * *");
    await expect.poll(() => schedule.textContent()).toMatch(/Not a valid cron expression: .*0-23/);
    await schedule.getByLabel("Cron expression").fill("30 2 * * 6");
    const runs = schedule.getByRole("list", { name: "Next runs" }).getByRole("listitem");
    await expect.poll(() => runs.count()).toBe(3);
    for (const text of await runs.allTextContents())
      expect(text).toMatch(/^Saturday, \d+ \w+ \d{4} at 02:30 \(UTC\), in \d+ (days?|hours?)$/);
    await schedule.getByRole("button", { name: "Save schedule" }).click();
    await expect.poll(() => dialog.getByRole("status").textContent()).toBe("Schedule saved.");

    const policy = dialog.getByRole("form", { name: "Reclaim policy" });
    await policy.getByLabel("Use the gateway's default").uncheck();
    await policy.getByLabel("At least (MiB)").fill("100");
    await policy.getByLabel("and at least (% of actual size)").fill("5");
    await policy.getByRole("button", { name: "Save policy" }).click();
    await expect.poll(() => dialog.getByRole("status").textContent()).toBe("Policy saved.");
    const { storageDomains } = await gql(
      `{ storageDomains { name schedule { cron timezone } reclaimPolicy { minReclaimableBytes minReclaimableRatio inherited } } }`,
    );
    expect(storageDomains.find((d: any) => d.name === "store")).toMatchObject({
      schedule: { cron: "30 2 * * 6", timezone: "UTC" },
      reclaimPolicy: { minReclaimableBytes: 100 * MiB, minReclaimableRatio: 0.05, inherited: false },
    });
    await page.screenshot({ path: path.join(SHOTS, "schedule-dialog.png") });

    // Escape closes the dialog; the page shows the schedule.
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await expect.poll(() => row.textContent()).toContain("cron 30 2 * * 6 (UTC)");
    await row.getByRole("button", { name: "Policy & schedule… of store" }).click();
    await dialog.getByRole("button", { name: "Remove schedule" }).click();
    await expect.poll(() => dialog.getByRole("status").textContent()).toBe("Schedule removed.");
    expect(
      (await gql(`{ storageDomains { name schedule { cron } } }`)).storageDomains.find((d: any) => d.name === "store").schedule,
    ).toBeNull();
    await context.close();
  });

  it("removes a domain only after a confirmation that lists the consequences; Escape cancels and gives focus back", async () => {
    const extra = path.join(stack.root, "extra");
    await fs.mkdir(extra);
    await execa("qemu-img", ["create", "-q", "-f", "qcow2", path.join(extra, "one.qcow2"), "1G"]);
    const { addStorageDomain } = await gql(
      `mutation($p: String!) { addStorageDomain(input: { name: "extra", path: $p }) { id } }`,
      { p: extra },
    );
    await gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: addStorageDomain.id });
    const { context, page } = await newPage();
    await signIn(page, admin, "/domains");
    const row = page.locator('tr[data-domain="extra"]');
    const remove = row.getByRole("button", { name: "Remove extra…" });
    await remove.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Remove storage domain extra?" });
    await dialog.waitFor();
    expect(await dialog.getByRole("list", { name: "What removing extra does" }).getByRole("listitem").allTextContents()).toEqual([
      "Its 1 disk leaves the inventory, with their VM attachments; past jobs stay in the history.",
      "It has no schedule to remove.",
      "Image files are never deleted: the directory stays as it is on the hosts.",
      "The gateway refuses while a job is queued or running on one of its disks.",
    ]);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Remove extra…");

    // A job queued on one of its disks: the gateway refuses, and the dialog says why.
    const [{ id: one }] = await stack.db.query(`SELECT id FROM disk WHERE "storageDomainId" = $1`, [addStorageDomain.id]);
    const [{ id: queued }] = await stack.db.query(
      `INSERT INTO sparsify_job (id, "diskId", "storageDomainId", state) VALUES (gen_random_uuid(), $1, $2, 'QUEUED') RETURNING id`,
      [one, addStorageDomain.id],
    );
    await page.keyboard.press("Enter");
    await dialog.getByRole("button", { name: "Remove extra" }).click();
    await expect
      .poll(() => dialog.getByRole("alert").textContent())
      .toMatch(/^Not removed\. Storage domain extra has 1 sparsify job\(s\) queued or running; cancel them or wait\./);
    await stack.db.query(`DELETE FROM sparsify_job WHERE id = $1`, [queued]);
    await dialog.getByRole("button", { name: "Remove extra" }).click();
    await row.waitFor({ state: "detached" });
    expect((await gql(`{ storageDomains { name } }`)).storageDomains.map((d: any) => d.name)).not.toContain("extra");
    await fs.access(path.join(extra, "one.qcow2")); // the file is still there
    await context.close();
  });

  it("shows the hosts with their capabilities and heartbeat, follows them without Refresh, and puts one in maintenance", async () => {
    // A second host, only as its row: silent for an hour (Offline) until this test beats for it.
    const [ghost] = await stack.db.query(
      `INSERT INTO host (name, "heartbeatAt", concurrency) VALUES ('ghost-host', now() - interval '1 hour', 3) RETURNING id`,
    );
    let beat: NodeJS.Timeout | undefined;
    const { context, page } = await newPage();
    // The page's clock runs on but is moved on from here: its own 10 s refresh fires when the data to show is there.
    await page.clock.install();
    try {
      await signIn(page, admin, "/hosts");
      const name = stack.config.HOST_NAME;
      const row = page.locator(`tr[data-host="${name}"]`);
      const ghostRow = page.locator('tr[data-host="ghost-host"]');
      await row.waitFor();
      expect(await row.locator(".badge").textContent()).toBe("Online");
      expect(await row.textContent()).toMatch(/(KVM|TCG).*appliance (ready|not ready)/);
      expect(await row.textContent()).toMatch(/qemu \S+/);
      const [{ concurrency }] = await stack.db.query(`SELECT concurrency FROM host WHERE name = $1`, [name]);
      expect(await row.locator("td.num").textContent()).toBe(String(concurrency));
      expect(await ghostRow.locator("td.num").textContent()).toBe("3");
      expect(await ghostRow.locator(".badge").textContent()).toBe("Offline");
      // Test stacks run with LIBVIRT_URI=none: the host says libvirt is off (DISABLED).
      expect(await row.locator("[data-libvirt]").getAttribute("data-libvirt")).toBe("DISABLED");
      expect(await row.textContent()).toMatch(/libvirt off/);

      // Live without Refresh: the ghost starts beating and turns Online; the worker's heartbeat
      // shown is re-read (a first answer kept forever would age past "just now" and never move).
      const firstBeat = Date.parse((await row.locator("time").getAttribute("datetime"))!);
      beat = setInterval(() => void stack.db.query(`UPDATE host SET "heartbeatAt" = now() WHERE id = $1`, [ghost.id]), 500);
      // Once the gateway says so, one tick of the page's own refresh must show it.
      const shown = async () => {
        const { hosts } = await gql(`{ hosts { name online heartbeatAt } }`);
        const [self, other] = [name, "ghost-host"].map((n) => hosts.find((h: any) => h.name === n));
        return other.online && self.online && Date.parse(self.heartbeatAt) > firstBeat;
      };
      await expect.poll(shown, { timeout: 10_000 }).toBe(true);
      await page.clock.fastForward(10_000);
      await expect.poll(() => ghostRow.locator(".badge").textContent(), { timeout: 10_000 }).toBe("Online");
      await expect
        .poll(async () => Date.parse((await row.locator("time").getAttribute("datetime"))!), { timeout: 10_000 })
        .toBeGreaterThan(firstBeat);
      expect(await row.locator("time").textContent()).toBe("just now");
      expect(await row.locator(".badge").textContent()).toBe("Online");

      await row.getByRole("button", { name: `Put ${name} in maintenance` }).click();
      await row.getByRole("button", { name: `End maintenance of ${name}` }).waitFor();
      expect((await gql(`{ hosts { name maintenance } }`)).hosts.find((h: any) => h.name === name).maintenance).toBe(true);
      await row.getByRole("button", { name: `End maintenance of ${name}` }).click();
      await row.getByRole("button", { name: `Put ${name} in maintenance` }).waitFor();
      clearInterval(beat);
      await stack.db.query(`DELETE FROM host WHERE id = $1`, [ghost.id]);
      await page.clock.fastForward(10_000);
      await ghostRow.waitFor({ state: "detached", timeout: 10_000 });
      await page.screenshot({ path: path.join(SHOTS, "hosts.png") });
    } finally {
      clearInterval(beat);
      await stack.db.query(`DELETE FROM host WHERE id = $1`, [ghost.id]);
      await context.close();
    }
  }, 90_000);

  it("creates a token showing its secret once with a copy button, and revokes it", async () => {
    const { context, page } = await newPage();
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await signIn(page, admin, "/tokens");
    const form = page.getByRole("form", { name: "Create an API token" });
    await form.getByLabel("Name").fill("ci-bot");
    await form.getByLabel("Role").selectOption("OPERATOR");
    await form.getByRole("button", { name: "Create token" }).click();
    const dialog = page.getByRole("dialog", { name: "Token ci-bot created" });
    await dialog.waitFor();
    const secret = await dialog.getByLabel("Secret").inputValue();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Copy the secret");
    await page.keyboard.press("Enter");
    await expect.poll(() => dialog.getByRole("status").textContent()).toBe("Copied to the clipboard.");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    const me = await stack.gql(`{ me { name role } }`, undefined, { authorization: `Bearer ${secret}` });
    expect(me.data).toEqual({ me: { name: "ci-bot", role: "OPERATOR" } });

    await dialog.getByRole("button", { name: "I have stored it" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await page.content()).not.toContain(secret); // shown once, gone with the dialog
    const row = page.locator('tr[data-token="ci-bot"]');
    expect(await row.textContent()).toMatch(/ci-bot.*Operator.*Never.*Active/);
    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "Revoke ci-bot" }).click();
    await expect.poll(() => row.locator(".badge").textContent()).toBe("Revoked");
    expect(
      (await stack.gql(`{ me { name } }`, undefined, { authorization: `Bearer ${secret}` })).errors?.[0]?.extensions?.code,
    ).toBe("UNAUTHENTICATED");
    await context.close();
  });

  it("filters the audit trail by type and disk and pages through it", async () => {
    const { context, page } = await newPage();
    await signIn(page, admin, "/events");
    const filters = page.getByRole("search", { name: "Filter events" });
    await filters.getByLabel("Types (comma-separated)").fill("paging_probe");
    await filters.getByRole("button", { name: "Apply filters" }).click();
    const range = page.getByRole("navigation", { name: "Pages of events" }).getByRole("status");
    await expect.poll(() => range.textContent()).toBe("1–25 of 30 events");
    expect(page.url()).toContain("type=paging_probe");
    expect(await page.locator('tr[data-event="PAGING_PROBE"]').count()).toBe(25);
    await page.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => range.textContent()).toBe("26–30 of 30 events");
    expect(await page.locator("tbody tr td:last-child").allTextContents()).toEqual(
      ["probe 4", "probe 3", "probe 2", "probe 1", "probe 0"].map((p) => expect.stringContaining(p)),
    );
    await page.getByRole("button", { name: "Previous" }).click();
    await expect.poll(() => range.textContent()).toBe("1–25 of 30 events");

    const [{ id: big }] = await stack.db.query(`SELECT id FROM disk WHERE alias = 'big'`);
    await filters.getByLabel("Disk id").fill(big);
    await filters.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(() => range.textContent()).toBe("1–15 of 15 events");
    await page.screenshot({ path: path.join(SHOTS, "audit-trail.png") });

    // By job: only that job's events, whatever their type.
    const [jobA, jobB] = (await stack.db.query(`SELECT id FROM sparsify_job ORDER BY "finishedAt"`)).map((j: any) => j.id);
    for (const [job, message, type, ago] of [
      [jobA, "job probe 0", "JOB_QUEUED", 3],
      [jobB, "other job probe", "JOB_QUEUED", 2],
      [jobA, "job probe 1", "JOB_SUCCEEDED", 1],
    ])
      await stack.db.query(
        `INSERT INTO event (type, actor, message, "jobId", "createdAt") VALUES ($1, 'test', $2, $3, now() - $4 * interval '1 minute')`,
        [type, message, job, ago],
      );
    await filters.getByLabel("Types (comma-separated)").fill("");
    await filters.getByLabel("Disk id").fill("");
    await filters.getByLabel("Job id").fill(jobA);
    await filters.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(() => range.textContent()).toBe("1–2 of 2 events");
    expect(new URL(page.url()).searchParams.get("job")).toBe(jobA);
    expect(await page.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-event")))).toEqual([
      "JOB_SUCCEEDED",
      "JOB_QUEUED",
    ]);
    expect(await page.locator("tbody tr td:last-child").allTextContents()).toEqual(
      ["job probe 1", "job probe 0"].map((m) => expect.stringMatching(new RegExp(`^${m}\\s*job ${jobA}$`))),
    );
    await context.close();
  });

  it("draws the charts with their numbers in words: reclaimed over time, actual against virtual, top reclaimable", async () => {
    // Sizes and estimates known exactly (set now: the scan's own estimate writes real ones first).
    await expect
      .poll(async () => (await gql(`{ events(filter: { types: ["ESTIMATE_FINISHED"] }) { totalCount } }`)).events.totalCount)
      .toBeGreaterThan(0);
    const facts: Record<string, [number, number]> = {
      big: [3 * GiB, 900 * MiB],
      mid: [1 * GiB, 300 * MiB],
      small: [512 * MiB, 0],
    };
    for (const [alias, [actual, estimate]] of Object.entries(facts))
      await stack.db.query(`UPDATE disk SET "actualSize" = $2, "reclaimableEstimate" = $3 WHERE alias = $1`, [
        alias,
        actual,
        estimate,
      ]);
    const { context, page } = await newPage();
    await signIn(page, operator, "/charts");
    const over = page.getByRole("region", { name: "Reclaimed over time" });
    const chart = over.getByRole("img");
    await expect.poll(() => chart.getAttribute("aria-label")).toMatch(/^Bytes reclaimed per day\. .*: 200 MiB; .*: 100 MiB\.$/);
    expect(await over.textContent()).toContain("300 MiB reclaimed in 2 finished job(s)");
    // Drawn by uPlot on a canvas: pointing at the last column (today) reads its value out under it.
    const plot = over.locator(".u-over");
    const { width, height } = (await plot.boundingBox())!;
    await plot.hover({ position: { x: width - 2, y: height / 2 } });
    await expect.poll(() => over.locator(".chart-readout").textContent()).toMatch(/^\d+ \w+: 100 MiB$/);
    await over.getByRole("button", { name: "Month" }).click();
    await expect.poll(() => chart.getAttribute("aria-label")).toMatch(/^Bytes reclaimed per month\. /);
    expect(await over.getByRole("button", { name: "Month" }).getAttribute("aria-pressed")).toBe("true");

    const sizes = page.getByRole("region", { name: "Actual against virtual size, by storage domain" });
    await expect
      .poll(() => sizes.getByRole("img").getAttribute("aria-label"))
      .toContain("store: actual 4.5 GiB of virtual 7 GiB");
    const bars = sizes.locator(".u-over");
    await bars.hover({ position: { x: 4, y: (await bars.boundingBox())!.height - 4 } }); // the last row: store
    await expect.poll(() => sizes.locator(".chart-readout").textContent()).toBe("store: actual 4.5 GiB of virtual 7 GiB");
    await sizes.getByText("Show the numbers").click();
    expect(await sizes.locator('tr[data-domain="store"]').textContent()).toBe("store37 GiB4.5 GiB1.17 GiB");

    const top = page.getByRole("region", { name: "Top reclaimable disks" });
    await expect
      .poll(() => top.locator("tbody tr[data-alias]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-alias"))))
      .toEqual(["big", "mid"]);
    await page.screenshot({ path: path.join(SHOTS, "charts.png"), fullPage: true });
    await top.getByRole("checkbox", { name: "Select mid" }).check();
    await top.getByRole("checkbox", { name: "Select big" }).check();
    await top.getByRole("button", { name: "Sparsify 2 disks…" }).click();
    // The disks page's own dialog (one sparsifyDisks request with a summary); not confirmed here.
    const dialog = page.getByRole("dialog", { name: /Sparsify 2 disks/ });
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect((await gql(`{ sparsifyJobs { totalCount } }`)).sparsifyJobs.totalCount).toBe(2);
    await context.close();
  });

  it("the disks table and its dialog work from the keyboard alone", async () => {
    const { context, page } = await newPage({ viewport: { width: 390, height: 844 } });
    await signIn(page, operator);
    const box = page.locator('tr[data-alias="big"]').getByRole("checkbox", { name: "Select big" });
    await box.focus();
    await page.keyboard.press("Space");
    expect(await box.isChecked()).toBe(true);
    const open = page.getByRole("button", { name: "Sparsify 1 disk…" });
    await open.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Sparsify big" });
    await dialog.waitFor();
    // Focus starts inside the modal and Tab never reaches the page behind it (past the last
    // control the browser may move focus to its own UI, which leaves the document's body active).
    expect(await page.evaluate(() => !!document.activeElement?.closest("dialog[open]"))).toBe(true);
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Tab");
      expect(
        await page.evaluate(() => document.activeElement === document.body || !!document.activeElement?.closest("dialog[open]")),
      ).toBe(true);
    }
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Sparsify 1 disk…");
    expect((await gql(`{ sparsifyJobs { totalCount } }`)).sparsifyJobs.totalCount).toBe(2); // nothing was started
    await context.close();
  });

  it("one request for a free and a blocked disk: 1 started · 1 not started with the reason; the job shows its attempt", async () => {
    const ids = new Map<string, string>(
      (await stack.db.query(`SELECT id, alias FROM disk`)).map((d: { id: string; alias: string }) => [d.alias, d.id]),
    );
    // The domain's own scans and estimates first: a late estimate would overwrite the ones set here.
    const [{ id: storeId }] = await stack.db.query(`SELECT id FROM storage_domain WHERE name = 'store'`);
    await waitForOpsIdle(stack, storeId);
    // An estimate under 1 MiB: the disk says there is nothing to reclaim; a big estimate says nothing more.
    await stack.db.query(`UPDATE disk SET "reclaimableEstimate" = $2 WHERE alias = $1`, ["small", 4096]);
    await stack.db.query(`UPDATE disk SET "reclaimableEstimate" = $2 WHERE alias = $1`, ["big", 900 * MiB]);
    const { context, page } = await newPage();
    await signIn(page, operator);
    const small = page.locator('tr[data-alias="small"]');
    await expect.poll(() => small.locator(".reclaim-hint").textContent()).toBe("nothing to reclaim");
    expect(await small.locator(".badge").textContent()).toBe("Sparsifiable");
    expect(await page.locator('tr[data-alias="big"] .reclaim-hint').count()).toBe(0);

    await page.locator('tr[data-alias="mid"]').getByRole("checkbox", { name: "Select mid" }).check();
    await small.getByRole("checkbox", { name: "Select small" }).check();
    await page.getByRole("button", { name: "Sparsify 2 disks…" }).click();
    const dialog = page.getByRole("dialog", { name: "Sparsify 2 disks" });
    await dialog.waitFor();
    // Meanwhile small is plugged into a running VM: the one request starts mid and refuses small.
    await gql(`mutation($id: ID!) { setVmStatus(id: $id, status: UP) { id } }`, { id: vmId });
    await gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: true) { id } }`, {
      v: vmId,
      d: ids.get("small"),
    });
    // Nothing below needs mid's run: held as by a VM (unknown to the gateway), its job is started and then fails
    // the worker's pre-check (IMAGE_IN_USE) before any appliance boots.
    const hold = await holdImage(path.join(store, "mid.qcow2"), "qcow2");
    let job: { id: string };
    try {
      await dialog.getByRole("button", { name: "Sparsify 2 disks" }).click();
      await expect.poll(() => dialog.getByRole("status").textContent()).toBe("1 started · 1 not started");
      expect(await dialog.locator('tr[data-alias="mid"] .started').textContent()).toBe("Started");
      expect(await dialog.getByRole("alert").textContent()).toMatch(
        /^small was not started\. Disk small cannot be sparsified now:Attached to VM app-vm, which is UP; shut it down or unplug the disk/,
      );
      [job] = await stack.db.query(`SELECT id FROM sparsify_job WHERE "diskId" = $1`, [ids.get("mid")]);
      const row = async () => (await stack.db.query(`SELECT state, "errorCode" FROM sparsify_job WHERE id = $1`, [job.id]))[0];
      await expect.poll(async () => (await row()).state, { timeout: 60_000 }).toMatch(/^(SUCCEEDED|FAILED|CANCELLED)$/);
      expect(await row()).toEqual({ state: "FAILED", errorCode: "IMAGE_IN_USE" }); // the hold did stop it before the appliance
    } finally {
      await hold.release();
    }
    await dialog.getByRole("button", { name: "Close" }).click();
    await gql(`mutation($v: ID!, $d: ID!) { detachDisk(vmId: $v, diskId: $d) }`, { v: vmId, d: ids.get("small") });
    await gql(`mutation($id: ID!) { setVmStatus(id: $id, status: DOWN) { id } }`, { id: vmId });

    // As if a second worker had taken the job over: its card (kept across a reload) and its row say so.
    await stack.db.query(`UPDATE sparsify_job SET attempts = 2 WHERE id = $1`, [job.id]);
    await page.reload();
    const card = page.locator(`article.job-card[data-job-id="${job.id}"]`);
    await expect.poll(() => card.getByTestId("job-attempt").textContent()).toBe("attempt 2");
    await go(page, "Jobs");
    const jobRow = page.locator(`tr[data-job-id="${job.id}"]`);
    await expect.poll(() => jobRow.locator(".chip-warn").textContent()).toBe("attempt 2");
    expect(await page.locator("tr[data-job-id] .chip-warn").count()).toBe(1); // the seeded jobs ran once
    await context.close();
  }, 180_000);

  it("viewers and operators see the administration pages but get no controls", async () => {
    for (const token of [viewer, operator]) {
      const { context, page } = await newPage();
      await signIn(page, token, "/domains");
      await page.locator('tr[data-domain="store"]').waitFor();
      expect(await page.getByRole("form", { name: "Add a storage domain" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: /^(Scan|Remove|Deactivate)/ }).count()).toBe(0);
      expect(await page.getByRole("note").textContent()).toMatch(/you can look here; .* needs an admin token/);
      await go(page, "Hosts");
      await page.locator(`tr[data-host="${stack.config.HOST_NAME}"]`).waitFor();
      expect(await page.getByRole("button", { name: /maintenance/ }).count()).toBe(0);
      await go(page, "Tokens");
      await expect
        .poll(() => page.getByRole("note").textContent())
        .toMatch(/seeing, creating or revoking tokens needs an admin token/);
      await go(page, "Audit");
      await expect.poll(() => page.locator("tbody tr[data-event]").count()).toBeGreaterThan(0);
      await context.close();
    }
  });

  it("every page has no serious or critical axe violation and no horizontal overflow, at 1280×800 and 390×844", async () => {
    const found: string[] = [];
    for (const viewport of VIEWPORTS) {
      // axe is injected as a script: only a context that bypasses the CSP allows it. The real
      // pages keep their CSP (the other tests run without bypass and record any violation).
      const { context, page } = await newPage({ viewport, bypassCSP: true });
      await signIn(page, admin);
      for (const route of [...PAGES, "/vms", `/vm?id=${vmId}`]) {
        await navigate(page, route);
        await page.locator("main h1").first().waitFor();
        await page.waitForLoadState("networkidle");
        await expect.poll(() => page.locator('[aria-busy="true"]').count()).toBe(0);
        const overflow = await overflowOf(page);
        if (overflow.over > 0)
          found.push(
            `${route} at ${viewport.width}×${viewport.height}: ${overflow.over}px of horizontal overflow (${overflow.culprits.join(", ")})`,
          );
        if ((await page.evaluate(() => typeof (window as any).axe)) === "undefined")
          await page.addScriptTag({ content: AXE_SOURCE });
        const violations: { id: string; impact: string; nodes: { target: string[]; html: string; failureSummary: string }[] }[] =
          await page.evaluate(async () => (await (window as any).axe.run(document, { resultTypes: ["violations"] })).violations);
        for (const v of violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
          const nodes = v.nodes.map((n) => `${n.html.slice(0, 120)} — ${n.failureSummary}`).join(" | ");
          found.push(`${route} at ${viewport.width}: ${v.id} (${v.impact}) on ${nodes}`);
        }
        if (viewport.width === 390 && route === "/charts")
          await page.screenshot({ path: path.join(SHOTS, "charts-mobile.png"), fullPage: true });
      }
      // The dialogs too: the schedule form, the remove confirmation, the new token's secret, the sparsify confirmation.
      const dialog = page.locator("dialog[open]");
      await navigate(page, "/domains");
      await page.getByRole("button", { name: "Policy & schedule… of store" }).click();
      await dialog.getByRole("list", { name: "Next runs" }).waitFor();
      await auditDialog(page, `schedule dialog at ${viewport.width}`, found);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      await page.getByRole("button", { name: "Remove second…" }).click();
      await dialog.getByRole("list", { name: "What removing second does" }).waitFor();
      await auditDialog(page, `remove dialog at ${viewport.width}`, found);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      await navigate(page, "/tokens");
      const form = page.getByRole("form", { name: "Create an API token" });
      await form.getByLabel("Name").fill(`axe-${viewport.width}`);
      await form.getByRole("button", { name: "Create token" }).click();
      await page.getByRole("dialog", { name: `Token axe-${viewport.width} created` }).waitFor();
      await auditDialog(page, `token dialog at ${viewport.width}`, found);
      await dialog.getByRole("button", { name: "I have stored it" }).click();
      await dialog.waitFor({ state: "hidden" });
      await navigate(page, "/");
      await page.locator('tr[data-alias="big"]').getByRole("checkbox", { name: "Select big" }).check();
      await page.getByRole("button", { name: "Sparsify 1 disk…" }).click();
      await page.getByRole("dialog", { name: "Sparsify big" }).waitFor();
      await auditDialog(page, `sparsify dialog at ${viewport.width}`, found);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      await context.close();
    }
    expect(found).toEqual([]);
  }, 180_000);

  it("no page logged an error or a CSP violation", () => {
    expect(problems).toEqual([]);
  });
});
