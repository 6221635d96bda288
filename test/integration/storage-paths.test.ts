import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTools } from "../support/require-tool.js";
import { codeOf, ok, startStack, type Stack } from "../support/stack.js";
import { makeTempDir } from "../support/temp-dir.js";

const ADD =
  "mutation($n: String!, $p: String!) { addStorageDomain(input: { name: $n, path: $p }) { id path " +
  "status statusReason scanState scanError } }";
const SCAN = `mutation($id: ID!) { scanStorageDomain(id: $id) { id status statusReason scanState scanError } }`;
const DOMAIN = `query($id: ID!) { storageDomain(id: $id) { status statusReason scanState scanError } }`;

/** Storage domain paths as users type them, against a real gateway and host worker. */
describe.runIf(requireTools("qemu-img"))("storage domain paths", () => {
  let stack: Stack;
  let dir: { path: string; remove: () => Promise<void> };
  let rootA: string;
  let rootB: string;

  beforeAll(async () => {
    dir = await makeTempDir("storage-paths-");
    rootA = path.join(dir.path, "images"); // served as a whole, like /var/lib/libvirt/images
    rootB = path.join(dir.path, "pools");
    await fs.mkdir(rootA);
    await fs.mkdir(path.join(rootB, "sub"), { recursive: true });
    await execa("qemu-img", ["create", "-q", "-f", "qcow2", path.join(rootA, "vm1.qcow2"), "64M"]);
    stack = await startStack({ env: { STORAGE_ROOTS: `${rootA},${rootB}`, SCAN_WAIT_MS: "4000" } });
  });
  afterAll(async () => {
    await stack?.close();
    await dir?.remove();
  });

  it("accepts a storage root itself as a domain and scans it", async () => {
    const domain = ok<any>(await stack.gql(ADD, { n: "images", p: rootA })).addStorageDomain;
    expect(domain.path).toBe(rootA);
    const scanned = ok<any>(await stack.gql(SCAN, { id: domain.id })).scanStorageDomain;
    expect(scanned).toMatchObject({ scanState: "DONE", status: "ACTIVE" });
    const disks = ok<any>(await stack.gql(`{ disks { edges { node { alias storageDomain { name } } } } }`)).disks.edges;
    expect(disks.map((e: any) => e.node)).toEqual([{ alias: "vm1", storageDomain: { name: "images" } }]);
  });

  it("refuses a domain nested in another one (an image would be listed twice)", async () => {
    await fs.mkdir(path.join(rootA, "inner"), { recursive: true });
    const res = await stack.gql(ADD, { n: "inner", p: path.join(rootA, "inner") });
    expect(codeOf(res)).toBe("CONFLICT");
    expect(res.errors![0].message).toMatch(/Storage domain images at .* already contains/);
  });

  it("normalises a trailing slash", async () => {
    const domain = ok<any>(await stack.gql(ADD, { n: "sub", p: `${rootB}/sub//` })).addStorageDomain;
    expect(domain.path).toBe(`${rootB}/sub`);
    expect(ok<any>(await stack.gql(SCAN, { id: domain.id })).scanStorageDomain.scanState).toBe("DONE");
    // The same directory with or without the slash is one domain.
    expect(codeOf(await stack.gql(ADD, { n: "sub-again", p: `${rootB}/sub/` }))).toBe("CONFLICT");
  });

  it("ends the scan of a missing directory FAILED, the domain INACCESSIBLE with the reason; recovers once it exists", async () => {
    const missing = path.join(rootB, "missing");
    const domain = ok<any>(await stack.gql(ADD, { n: "missing", p: missing })).addStorageDomain;
    // Without anyone asking again, the scan the addition queued ends within the scan wait.
    await expect
      .poll(async () => ok<any>(await stack.gql(DOMAIN, { id: domain.id })).storageDomain.scanState, {
        timeout: 15_000,
        interval: 250,
      })
      .toBe("FAILED");
    const scanned = ok<any>(await stack.gql(SCAN, { id: domain.id })).scanStorageDomain;
    expect(scanned).toMatchObject({ scanState: "FAILED", status: "INACCESSIBLE" });
    expect(scanned.statusReason).toContain(`${missing} does not exist on host ${stack.config.HOST_NAME}`);
    expect(scanned.scanError).toMatch(/^No host could read the domain within 4 s: .* does not exist/);
    const events = ok<any>(
      await stack.gql(`{ events(filter: { types: ["SCAN_FAILED"] }) { edges { node { storageDomainId message } } } }`),
    ).events.edges;
    expect(events.map((e: any) => e.node.storageDomainId)).toContain(domain.id);

    await fs.mkdir(missing);
    const again = ok<any>(await stack.gql(SCAN, { id: domain.id })).scanStorageDomain;
    expect(again).toMatchObject({ scanState: "DONE", status: "ACTIVE", statusReason: null, scanError: null });
  });
});
