import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  makeExt4Image,
  makeNoFilesystemImage,
  makePreallocatedQcow2,
  makeRawWithQcow2Header,
  makeSnapshot,
  makeTemplateWithClones,
} from "../support/images.js";
import { requireTools } from "../support/require-tool.js";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";

const DISK_FIELDS = `id alias format allocation allocationSource storageType virtualSize actualSize status sparsifiable
  sparsifyBlockers { code message } sparsifyWarnings { code message }
  volumes { relPath format actualSize depth } template { alias } derivedDisks { alias }
  attachments { plugged vm { name status } } storageDomain { name }`;

async function actualSize(file: string, format: string): Promise<number> {
  const { stdout } = await execa("qemu-img", ["info", "--output=json", "-f", format, "-U", file]);
  return JSON.parse(stdout)["actual-size"];
}

describe.runIf(requireTools("qemu-img", "mke2fs", "debugfs"))("inventory: scan real images, group them, say why not", () => {
  let stack: Stack;
  let dir: string;
  let domainId: string;
  const disks = new Map<string, any>();

  async function loadDisks() {
    const data = ok<any>(await stack.gql(`{ disks(first: 100) { totalCount edges { node { ${DISK_FIELDS} } } } }`));
    disks.clear();
    for (const e of data.disks.edges) disks.set(e.node.alias, e.node);
    return data.disks;
  }

  beforeAll(async () => {
    stack = await startStack();
    dir = path.join(stack.root, "domain-a");
    await fs.mkdir(path.join(dir, "nested"), { recursive: true });
    await makeExt4Image(path.join(dir, "web-01.qcow2"), { format: "qcow2" });
    await makeExt4Image(path.join(dir, "db-01.raw"), { format: "raw", deletedMiB: 50 });
    await makeExt4Image(path.join(dir, "nested", "app-01.qcow2"), { format: "qcow2", deletedMiB: 20 });
    await makeSnapshot("app-01.qcow2", path.join(dir, "nested", "app-01-snap.qcow2"));
    await makeTemplateWithClones(path.join(dir, "nested"));
    await makePreallocatedQcow2(path.join(dir, "prealloc.qcow2"), { deletedMiB: 10 });
    await makeRawWithQcow2Header(path.join(dir, "hostile.raw"), "/etc/hostname");
    await execa("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "/etc/hostname", "-F", "raw", path.join(dir, "escape.qcow2")]);
    await makeNoFilesystemImage(path.join(dir, "blank.img"), { kind: "zeros" });
    // Ignored: hidden files, other extensions, symlinks leaving the domain.
    await makeNoFilesystemImage(path.join(dir, ".hidden.raw"));
    await fs.writeFile(path.join(dir, "notes.txt"), "not an image");
    await fs.symlink("/etc", path.join(dir, "etc-link"));
    const added = ok<any>(
      await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "domain-a", path: $p }) { id status } }`, {
        p: dir,
      }),
    );
    domainId = added.addStorageDomain.id;
    const scanned = ok<any>(
      await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState lastScannedAt status } }`, { id: domainId }),
    );
    expect(scanned.scanStorageDomain.scanState).toBe("DONE");
    await loadDisks();
  });
  afterAll(() => stack?.close());

  it("finds every image once and groups chains into disks", async () => {
    expect([...disks.keys()].sort()).toEqual([
      "app-01",
      "blank",
      "clone-1",
      "clone-2",
      "db-01",
      "escape",
      "hostile",
      "prealloc",
      "template",
      "web-01",
    ]);
  });

  it("reports exact sizes, equal to qemu-img", async () => {
    const web = disks.get("web-01");
    expect(web.actualSize).toBe(await actualSize(path.join(dir, "web-01.qcow2"), "qcow2"));
    expect(web.virtualSize).toBe(1073741824);
    expect(web.format).toBe("QCOW2");
    expect(disks.get("db-01").actualSize).toBe(await actualSize(path.join(dir, "db-01.raw"), "raw"));
    expect(disks.get("web-01")).toMatchObject({
      sparsifiable: true,
      sparsifyBlockers: [],
      sparsifyWarnings: [],
      status: "OK",
      storageType: "IMAGE",
      allocation: "SPARSE",
    });
  });

  it("a snapshot chain is one disk: own volumes leaf first, size summed, a warning", () => {
    const app = disks.get("app-01");
    expect(app.volumes.map((v: any) => v.relPath)).toEqual(["nested/app-01-snap.qcow2", "nested/app-01.qcow2"]);
    expect(app.actualSize).toBe(app.volumes.reduce((s: number, v: any) => s + v.actualSize, 0));
    expect(app.sparsifiable).toBe(true);
    expect(app.sparsifyWarnings.map((w: any) => w.code)).toEqual(["HAS_SNAPSHOTS"]);
  });

  it("a template with two clones: its own disk, blocked, clones derived from it", () => {
    const template = disks.get("template");
    expect(template.derivedDisks.map((d: any) => d.alias)).toEqual(["clone-1", "clone-2"]);
    expect(template.sparsifyBlockers.map((b: any) => b.code)).toEqual(["HAS_DERIVED_DISKS"]);
    for (const clone of ["clone-1", "clone-2"]) {
      expect(disks.get(clone).template.alias).toBe("template");
      expect(disks.get(clone).volumes).toHaveLength(1);
      expect(disks.get(clone).sparsifiable).toBe(true);
    }
  });

  it("detects metadata preallocation", () => {
    expect(disks.get("prealloc")).toMatchObject({
      allocation: "PREALLOCATED",
      allocationSource: "DETECTED",
      sparsifiable: false,
    });
    expect(disks.get("prealloc").sparsifyBlockers.map((b: any) => b.code)).toEqual(["PREALLOCATED"]);
  });

  it("a raw file with a qcow2 header is refused as FORMAT_MISMATCH: its backing file is never followed", () => {
    const hostile = disks.get("hostile");
    expect(hostile.format).toBe("RAW");
    expect(hostile.volumes.map((v: any) => v.relPath)).toEqual(["hostile.raw"]);
    // The inspector refuses it before qemu-img: nothing about a backing chain.
    expect(hostile.sparsifyBlockers.map((b: any) => b.code)).toEqual(["FORMAT_MISMATCH"]);
    expect(hostile.sparsifyBlockers[0].message).toMatch(/hostile\.raw.*named as raw but holds a qcow2 image/);
  });

  it("a qcow2 whose backing file is outside the storage roots is refused with the reason", () => {
    const escape = disks.get("escape");
    expect(escape.sparsifiable).toBe(false);
    expect(escape.sparsifyBlockers[0].code).toBe("BACKING_OUTSIDE_CHAIN");
    expect(escape.sparsifyBlockers[0].message).toMatch(/outside the storage roots/);
  });

  it("a VM that is UP blocks its plugged disk; DOWN or unplugged does not", async () => {
    const web = disks.get("web-01");
    const vm = ok<any>(await stack.gql(`mutation { addVm(input: { name: "web-vm" }) { id } }`)).addVm;
    ok(
      await stack.gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: true) { plugged } }`, {
        v: vm.id,
        d: web.id,
      }),
    );
    ok(await stack.gql(`mutation($v: ID!) { setVmStatus(id: $v, status: UP) { status } }`, { v: vm.id }));
    let disk = ok<any>(
      await stack.gql(`query($d: ID!) { disk(id: $d) { sparsifiable sparsifyBlockers { code message } } }`, { d: web.id }),
    ).disk;
    expect(disk.sparsifiable).toBe(false);
    expect(disk.sparsifyBlockers).toEqual([
      { code: "VM_NOT_DOWN", message: "Attached to VM web-vm, which is UP; shut it down or unplug the disk" },
    ]);
    const blocked = ok<any>(
      await stack.gql(`{ disks(filter: { sparsifiable: false }, first: 100) { edges { node { alias } } } }`),
    );
    expect(blocked.disks.edges.map((e: any) => e.node.alias)).toContain("web-01");

    ok(
      await stack.gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: false) { plugged } }`, {
        v: vm.id,
        d: web.id,
      }),
    );
    disk = ok<any>(
      await stack.gql(`query($d: ID!) { disk(id: $d) { sparsifiable sparsifyWarnings { code } } }`, { d: web.id }),
    ).disk;
    expect(disk).toEqual({ sparsifiable: true, sparsifyWarnings: [{ code: "UNPLUGGED_FROM_RUNNING_VM" }] });

    ok(
      await stack.gql(`mutation($v: ID!, $d: ID!) { attachDisk(vmId: $v, diskId: $d, plugged: true) { plugged } }`, {
        v: vm.id,
        d: web.id,
      }),
    );
    ok(await stack.gql(`mutation($v: ID!) { setVmStatus(id: $v, status: DOWN) { status } }`, { v: vm.id }));
    disk = ok<any>(
      await stack.gql(`query($d: ID!) { disk(id: $d) { sparsifiable attachments { vm { status } } } }`, { d: web.id }),
    ).disk;
    expect(disk).toEqual({ sparsifiable: true, attachments: [{ vm: { status: "DOWN" } }] });
  });

  it("a deactivated domain blocks all its disks, and activating lifts it", async () => {
    ok(await stack.gql(`mutation($id: ID!) { deactivateStorageDomain(id: $id) { status } }`, { id: domainId }));
    const data = ok<any>(
      await stack.gql(
        `query($id: ID!) { disks(first: 100, filter: { storageDomainId: $id, sparsifiable: true }) { totalCount } }`,
        { id: domainId },
      ),
    );
    expect(data.disks.totalCount).toBe(0);
    const db = ok<any>(
      await stack.gql(`query($d: ID!) { disk(id: $d) { sparsifyBlockers { code message } } }`, { d: disks.get("db-01").id }),
    ).disk;
    expect(db.sparsifyBlockers).toEqual([
      { code: "STORAGE_DOMAIN_NOT_ACTIVE", message: "Storage domain domain-a is INACTIVE: deactivated by an administrator" },
    ]);
    ok(await stack.gql(`mutation($id: ID!) { activateStorageDomain(id: $id) { status } }`, { id: domainId }));
    const again = ok<any>(await stack.gql(`query($d: ID!) { disk(id: $d) { sparsifiable } }`, { d: disks.get("db-01").id })).disk;
    expect(again.sparsifiable).toBe(true);
  });

  it("an admin can correct an inferred allocation", async () => {
    const res = ok<any>(
      await stack.gql(
        `mutation($d: ID!) { setDiskAllocation(id: $d, allocation: SPARSE) { allocation allocationSource sparsifiable } }`,
        { d: disks.get("prealloc").id },
      ),
    );
    expect(res.setDiskAllocation).toEqual({ allocation: "SPARSE", allocationSource: "SET_BY_USER", sparsifiable: true });
  });

  it("rescans are idempotent; a new snapshot keeps the disk's identity; vanished images become MISSING", async () => {
    const before = new Map([...disks].map(([alias, d]) => [alias, d.id]));
    await makeSnapshot("web-01.qcow2", path.join(dir, "web-01-snap.qcow2"));
    await fs.rename(path.join(dir, "blank.img"), path.join(stack.root, "blank.img"));
    ok(await stack.gql(`mutation($id: ID!) { scanStorageDomain(id: $id) { scanState } }`, { id: domainId }));
    const list = await loadDisks();
    expect(list.totalCount).toBe(before.size);
    for (const [alias, id] of before) expect(disks.get(alias).id).toBe(id);
    expect(disks.get("web-01").volumes.map((v: any) => v.relPath)).toEqual(["web-01-snap.qcow2", "web-01.qcow2"]);
    expect(disks.get("prealloc").allocationSource).toBe("SET_BY_USER");
    expect(disks.get("blank")).toMatchObject({ status: "MISSING", sparsifiable: false });
    expect(disks.get("blank").sparsifyBlockers[0].code).toBe("DISK_MISSING");

    expect(codeOf(await stack.gql(`mutation($d: ID!) { forgetDisk(id: $d) }`, { d: disks.get("web-01").id }))).toBe(
      "DISK_NOT_MISSING",
    );
    ok(await stack.gql(`mutation($d: ID!) { forgetDisk(id: $d) }`, { d: disks.get("blank").id }));
    expect(ok<any>(await stack.gql(`query($d: ID!) { disk(id: $d) { id } }`, { d: disks.get("blank").id })).disk).toBeNull();
  });

  it("a domain whose directory does not exist on the host becomes INACCESSIBLE with the reason", async () => {
    const missing = path.join(stack.root, "not-there");
    const added = ok<any>(
      await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "ghost", path: $p }) { id } }`, { p: missing }),
    ).addStorageDomain;
    let domain: any;
    for (let i = 0; i < 50; i++) {
      domain = ok<any>(
        await stack.gql(`query($id: ID!) { storageDomain(id: $id) { status statusReason } }`, { id: added.id }),
      ).storageDomain;
      if (domain.status === "INACCESSIBLE") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(domain.status).toBe("INACCESSIBLE");
    expect(domain.statusReason).toMatch(/does not exist on host/);
    ok(await stack.gql(`mutation($id: ID!) { removeStorageDomain(id: $id) }`, { id: added.id }));
  });

  it("a domain path that escapes the storage roots through a symlink is refused by the host", async () => {
    const outside = await fs.mkdtemp(path.join(path.dirname(stack.root), "outside-"));
    const link = path.join(stack.root, "sneaky");
    await fs.symlink(outside, link);
    try {
      const added = ok<any>(
        await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "sneaky", path: $p }) { id } }`, { p: link }),
      ).addStorageDomain;
      let domain: any;
      for (let i = 0; i < 50 && domain?.status !== "INACCESSIBLE"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        domain = ok<any>(
          await stack.gql(`query($id: ID!) { storageDomain(id: $id) { status statusReason scanState } }`, { id: added.id }),
        ).storageDomain;
      }
      expect(domain.status).toBe("INACCESSIBLE");
      expect(domain.statusReason).toMatch(/outside the storage roots/);
      expect(domain.scanState).not.toBe("DONE");
      ok(await stack.gql(`mutation($id: ID!) { removeStorageDomain(id: $id) }`, { id: added.id }));
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });

  it("the same path or name cannot be added twice", async () => {
    expect(
      codeOf(
        await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "other", path: $p }) { id } }`, { p: dir }),
      ),
    ).toBe("CONFLICT");
  });

  it("the host registered itself with what it can do and see", async () => {
    const hosts = ok<any>(
      await stack.gql(`{ hosts { name online storageDomainIds concurrency accel virtSparsifyVersion qemuVersion } }`),
    ).hosts;
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toMatchObject({ name: stack.config.HOST_NAME, online: true, concurrency: 2 });
    expect(hosts[0].storageDomainIds).toContain(domainId);
    expect(hosts[0].qemuVersion).toMatch(/^\d+\.\d+/);
  });

  it("removing a domain forgets its inventory but never touches the files", async () => {
    ok(await stack.gql(`mutation($id: ID!) { removeStorageDomain(id: $id) }`, { id: domainId }));
    expect((await loadDisks()).totalCount).toBe(0);
    await expect(fs.stat(path.join(dir, "web-01.qcow2"))).resolves.toBeTruthy();
  });
});
