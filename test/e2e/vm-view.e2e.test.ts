import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/domain/roles.js";
import { requireTools } from "../support/require-tool.js";
import { ok, startStack, type Stack } from "../support/stack.js";
import { ensureWebBuilt } from "../support/web-build.js";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * The VM view in headless Chromium: VMs page (source, host, live state) → a VM → its disks with
 * the Sparsify action. A libvirt VM row is written as the host worker's sync writes it (the live
 * sync itself is proven against a real libvirtd in libvirt.e2e.test.ts).
 */
describe.runIf(requireTools("qemu-img", "chromium"))("web UI: VM view", () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    await ensureWebBuilt();
    stack = await startStack();
    const dir = path.join(stack.root, "store");
    await fs.mkdir(dir);
    for (const n of ["boot", "data", "guest"])
      await execa("qemu-img", ["create", "-q", "-f", "qcow2", path.join(dir, `${n}.qcow2`), "64M"]);
    const domain = ok<any>(
      await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "store", path: $p }) { id } }`, { p: dir }),
    ).addStorageDomain;
    ok(await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domain.id }));
    const ids = new Map<string, string>(
      ok<any>(await stack.gql(`{ disks(first: 10) { edges { node { id alias } } } }`)).disks.edges.map((e: any) => [
        e.node.alias,
        e.node.id,
      ]),
    );
    const vm = ok<any>(await stack.gql(`mutation { addVm(input: { name: "mail-01" }) { id } }`)).addVm.id;
    for (const alias of ["boot", "data"])
      ok(
        await stack.gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: true) { id } }`, {
          v: vm,
          d: ids.get(alias),
        }),
      );
    ok(await stack.gql(`mutation($id: ID!) { setVmStatus(id: $id, status: UP) { id } }`, { id: vm }));
    // The VM's host follows libvirt (a host that does not leaves its VMs UNKNOWN, never assumed down).
    await stack.db.query(`UPDATE host SET "libvirtState" = 'CONNECTED', "libvirtUri" = 'qemu:///system'`);
    const [host] = await stack.db.query(`SELECT id FROM host`);
    // As the sync writes a libvirt VM: its XML's disks (one in the inventory, one ISO outside it) and an attachment for the first.
    const [guest] = await stack.db.query(`SELECT id AS "diskId", "leafVolumeId" AS "volumeId" FROM disk WHERE alias = 'guest'`);
    const xmlDisks = [
      { target: "vda", bus: "virtio", device: "disk", source: path.join(dir, "guest.qcow2"), driverType: "qcow2", ...guest },
      { target: "sdb", bus: "sata", device: "cdrom", source: "/var/lib/libvirt/images/install.iso", driverType: "raw" },
    ].map((d) => ({ readOnly: d.device === "cdrom", shareable: false, backingStore: [], volumeId: null, diskId: null, ...d }));
    const [kvm] = await stack.db.query(
      `INSERT INTO vm (name, status, source, "hostId", "libvirtUuid", "libvirtState", disks) VALUES ` +
        "('kvm-guest', 'DOWN', 'LIBVIRT', $1, '30caa206-f7e7-4471-91f6-17711893c78e', 'shut off', $2) RETURNING id",
      [host.id, JSON.stringify(xmlDisks)],
    );
    await stack.db.query(
      `INSERT INTO disk_attachment ("vmId", "diskId", plugged, "volumeId", "targetDev", "driverType") ` +
        "VALUES ($1, $2, true, $3, 'vda', 'qcow2')",
      [kvm.id, guest.diskId, guest.volumeId],
    );
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(stack.url.replace(/\/graphql$/, "/"));
    await page.getByLabel("API token").fill(await stack.tokenFor(Role.OPERATOR, "olga"));
    await page.keyboard.press("Enter");
    await page.getByRole("navigation", { name: "Main" }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("lists VMs with their source, host and live state", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "VMs" }).click();
    const manual = page.locator('tr[data-vm="mail-01"]');
    await expect.poll(() => manual.innerText()).toMatch(/Manual[\s\S]*Up[\s\S]*2/);
    const kvm = page.locator('tr[data-vm="kvm-guest"]');
    expect(await kvm.innerText()).toMatch(
      new RegExp(`kvm-guest[\\s\\S]*on ${stack.config.HOST_NAME}[\\s\\S]*libvirt[\\s\\S]*Down`),
    );
    // Filters: by source, then by name or host; the count says how many are shown.
    const filters = page.getByRole("search", { name: "Filter VMs" });
    await filters.getByLabel("Source").selectOption("MANUAL");
    await expect.poll(() => page.locator("tr[data-vm]").count()).toBe(1);
    expect(await page.locator("tr[data-vm]").first().getAttribute("data-vm")).toBe("mail-01");
    await filters.getByLabel("Source").selectOption("");
    await filters.getByLabel("Name or host").fill("kvm");
    await expect.poll(() => page.locator("tr[data-vm]").count()).toBe(1);
    expect(await filters.getByRole("status").innerText()).toMatch(/^1 of \d+ VMs$/);
    await filters.getByLabel("Name or host").fill("");
  });

  it("a VM's view lists its disks with why they are blocked, and the Sparsify action once they are free", async () => {
    await page.getByRole("link", { name: "mail-01" }).click();
    await page.getByRole("heading", { name: "mail-01" }).waitFor();
    const boot = page.locator('tr[data-alias="boot"]');
    await expect.poll(() => boot.innerText()).toMatch(/Blocked[\s\S]*mail-01, which is UP/);
    expect(await boot.getByRole("button", { name: "Sparsify" }).isDisabled()).toBe(true);
    const vm = ok<any>(await stack.gql(`{ vms { id name } }`)).vms.find((v: any) => v.name === "mail-01");
    ok(await stack.gql(`mutation($id: ID!) { setVmStatus(id: $id, status: DOWN) { id } }`, { id: vm.id }));
    // The view re-reads itself: the state is live.
    await expect.poll(() => boot.innerText(), { timeout: 10_000 }).toMatch(/Sparsifiable/);
    await fs.mkdir(path.resolve("var/screenshots"), { recursive: true });
    await page.screenshot({ path: path.resolve("var/screenshots/vm-view.png") });
    await boot.getByRole("button", { name: "Sparsify" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain("boot");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    // The VM's history: nothing was sparsified yet.
    await page.getByRole("heading", { name: "Job history" }).waitFor();
    await expect.poll(() => page.locator("table.vm-jobs").innerText()).toMatch(/No disk of this VM was sparsified yet/);

    // A finished job on boot: the history shows it without a reload.
    const [job] = await stack.db.query(
      `INSERT INTO sparsify_job (id, "diskId", "storageDomainId", state, "actualSizeBefore", "actualSizeAfter", "requestedBy",
         "outcomeMessage", "startedAt", "finishedAt")
       SELECT gen_random_uuid(), id, "storageDomainId", 'SUCCEEDED', 40 * 1048576, 30 * 1048576, 'olga', 'Reclaimed 10 MiB.',
         now() - interval '1 minute', now() FROM disk WHERE alias = 'boot' RETURNING id`,
    );
    const jobRow = page.locator(`table.vm-jobs tr[data-job="${job.id}"]`);
    await jobRow.waitFor({ timeout: 10_000 });
    expect((await jobRow.locator("td").allInnerTexts()).slice(1)).toEqual([
      "boot",
      "Succeeded",
      "Reclaimed 10 MiB.",
      "10 MiB",
      "olga",
    ]);
    expect(await page.locator("table.vm-jobs tbody tr").count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it("a libvirt VM's view shows each disk's device and driver type, and the XML's disks outside the inventory", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "VMs" }).click();
    await page.getByRole("link", { name: "kvm-guest" }).click();
    await page.getByRole("heading", { name: "kvm-guest" }).waitFor();
    const guest = page.locator('table.vm-disks tr[data-alias="guest"]');
    await guest.waitFor();
    expect(await page.locator("table.vm-disks caption").innerText()).toBe("1 disk");
    expect(await guest.locator("td").first().innerText()).toBe("vda (qcow2)");
    expect(await guest.locator("th").innerText()).toMatch(/^guest\s+store · qcow2$/);
    const outside = page.locator("div.small").filter({ has: page.getByRole("heading", { name: "Not in the inventory" }) });
    expect(await outside.getByRole("listitem").allInnerTexts()).toEqual(["sdb (cdrom): path shown to admins only"]);
    expect(problems).toEqual([]);
  });
});
