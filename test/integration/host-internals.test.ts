import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/domain/roles.js";
import { HIDDEN_PATH } from "../../src/domain/redact-host-paths.js";
import { ok, startStack, type Stack } from "../support/stack.js";

/**
 * Every field that carries host internals, seeded with an absolute path (or a tool version), read
 * by each role. The README's "What viewers do not see" lists the same fields.
 */
const QUERY = `{
  storageDomains { path scanError statusReason disks(first: 10) {
    blockers { message } warnings { message } estimateUnavailableReason estimateDetail
    volumes { relPath problem }
    sparsifyJobs(first: 5) { outcomeMessage error { message } }
  } }
  hosts { name virtSparsifyVersion qemuVersion libvirt { uri message } }
  vms { name disks { target source backingStore { source format } } }
  events(first: 50) { edges { node { type message data } } }
}`;

/** A libvirt link whose URI and message name the socket (as libvirt-uri.ts and a lost link word them). */
const LIBVIRT_URI = "qemu+unix:///system?socket=/run/libvirt/libvirt-sock";
const LIBVIRT_MESSAGE = "cannot connect to /run/libvirt/libvirt-sock: Connection refused";

/** One `<disk>` as the libvirt sync stores it, with a backing layer. */
const libvirtDisk = (source: string, backing: string) => ({
  target: "vda",
  bus: "virtio",
  device: "disk",
  source,
  driverType: "qcow2",
  readOnly: false,
  shareable: false,
  backingStore: [{ source: backing, format: "qcow2" }],
  volumeId: null,
  diskId: null,
});

describe("viewers see no host internals", () => {
  let stack: Stack;
  let domainPath: string;
  const read = async (role: Role) =>
    ok<any>(await stack.gql(QUERY, {}, { authorization: `Bearer ${await stack.tokenFor(role)}` }));

  beforeAll(async () => {
    stack = await startStack({ worker: false });
    domainPath = `${stack.root}/secret-layout`;
    await fs.mkdir(domainPath);
    const domainId = ok<any>(
      await stack.gql(`mutation($p: String!) { addStorageDomain(input: { name: "d1", path: $p }) { id } }`, { p: domainPath }),
    ).addStorageDomain.id;
    const leaf = `${domainPath}/vm/leaf.qcow2`;
    await stack.db.query(`UPDATE storage_domain SET "scanError" = $2, "inaccessibleReason" = $3 WHERE id = $1`, [
      domainId,
      `qemu-img: Could not open '${leaf}': Permission denied`,
      `${domainPath} is not mounted`,
    ]);
    const [{ id: diskId }] = await stack.db.query(
      `INSERT INTO disk ("storageDomainId", alias, format, blockers, warnings, ` +
        `"estimateUnavailableReason", "estimateDetail", "chainProblem") VALUES ($1, 'leaf', 'QCOW2', $2, ` +
        "$3, 'UNREADABLE', $4, $5) RETURNING id",
      [
        domainId,
        JSON.stringify([
          {
            code: "CHAIN_INVALID",
            message: `The disk's volume chain is refused: backing file /etc/outside.raw is outside ${domainPath}`,
          },
        ]),
        JSON.stringify([{ code: "HAS_SNAPSHOTS", message: `snapshot ${leaf}` }]),
        `UNREADABLE: ${leaf}`,
        `backing file /etc/outside.raw is outside ${domainPath}`,
      ],
    );
    await stack.db.query(
      `INSERT INTO volume ("storageDomainId", "diskId", "relPath", format, problem) VALUES ($1, $2, 'vm/leaf.qcow2', 'QCOW2', $3)`,
      [domainId, diskId, `vm/leaf.qcow2 cannot be read as qcow2: Could not open '${leaf}'`],
    );
    await stack.db.query(
      `INSERT INTO sparsify_job (id, "diskId", "storageDomainId", state, "outcomeMessage", ` +
        `"errorCode", "errorMessage", "finishedAt") VALUES (gen_random_uuid(), $1, $2, 'FAILED', $3, ` +
        "'PERMISSION_DENIED', $4, now())",
      [diskId, domainId, `Nothing came back from ${leaf}`, `virt-sparsify failed: open ${leaf}: Permission denied`],
    );
    const [{ id: hostId }] = await stack.db.query(
      `INSERT INTO host (name, "heartbeatAt", concurrency, "virtSparsifyVersion", "qemuVersion", ` +
        `"libvirtUri", "libvirtState", "libvirtMessage") VALUES ('h1', now(), 1, 'virt-sparsify 1.54.1', ` +
        "'qemu-img version 9.2.0', $1, 'UNREACHABLE', $2) RETURNING id",
      [LIBVIRT_URI, LIBVIRT_MESSAGE],
    );
    await stack.db.query(
      `INSERT INTO vm (name, status, source, "hostId", "libvirtUuid", "libvirtState", disks) ` +
        "VALUES ('guest', 'DOWN', 'LIBVIRT', $1, gen_random_uuid(), 'shut off', $2)",
      [hostId, JSON.stringify([libvirtDisk(leaf, `${domainPath}/base.qcow2`)])],
    );
    await stack.db.query(`INSERT INTO event (type, actor, message, data) VALUES ('SCAN_DONE', 'host:h1', $1, $2)`, [
      `Scanned ${domainPath}`,
      JSON.stringify({ root: domainPath }),
    ]);
  });
  afterAll(() => stack?.close());

  it.each([Role.VIEWER, Role.OPERATOR])("%s: admin-only fields are null and no text names an absolute path", async (role) => {
    const data = await read(role);
    const [domain] = data.storageDomains;
    expect(domain).toMatchObject({ path: null, scanError: null });
    const [disk] = domain.disks;
    expect(disk.volumes).toEqual([
      { relPath: null, problem: `vm/leaf.qcow2 cannot be read as qcow2: Could not open '${HIDDEN_PATH}'` },
    ]);
    expect(data.hosts).toEqual([
      {
        name: "h1",
        virtSparsifyVersion: null,
        qemuVersion: null,
        libvirt: {
          uri: `qemu+unix:///system?socket=${HIDDEN_PATH}`,
          message: `cannot connect to ${HIDDEN_PATH}: Connection refused`,
        },
      },
    ]);
    expect(data.vms).toEqual([
      { name: "guest", disks: [{ target: "vda", source: null, backingStore: [{ source: null, format: "qcow2" }] }] },
    ]);
    for (const { node } of data.events.edges) expect(node.data).toBeNull();
    // Messages stay in words, with the path replaced.
    expect(domain.statusReason).toBe(`${HIDDEN_PATH} is not mounted`);
    expect(disk.blockers[0].message).toBe(
      `The disk's volume chain is refused: backing file ${HIDDEN_PATH} is outside ${HIDDEN_PATH}`,
    );
    expect(disk.sparsifyJobs[0].error.message).toBe(`virt-sparsify failed: open ${HIDDEN_PATH}: Permission denied`);
    const added = data.events.edges.find((e: any) => e.node.type === "STORAGE_DOMAIN_ADDED").node;
    expect(added.message).toBe(`Storage domain d1 added at ${HIDDEN_PATH}`);
    // And nothing anywhere in the answer names the storage root or another absolute path.
    const text = JSON.stringify(data);
    expect(text).not.toContain(stack.root);
    expect(text).not.toMatch(/(^|[\s'"(=])\/(etc|run|srv|tmp|var)\b/);
  });

  it("a refused sparsifyDisk carries its blockers without host paths for an operator, with them for an admin", async () => {
    const [{ id }] = await stack.db.query(`SELECT id FROM disk WHERE alias = 'leaf'`);
    const refuse = async (role: Role) =>
      (
        await stack.gql(
          `mutation($d: ID!) { sparsifyDisk(diskId: $d) { id } }`,
          { d: id },
          { authorization: `Bearer ${await stack.tokenFor(role)}` },
        )
      ).errors![0];
    const operator = await refuse(Role.OPERATOR);
    expect(operator.extensions.code).toBe("DISK_NOT_SPARSIFIABLE");
    const chain = operator.extensions.blockers.find((b: any) => b.code === "CHAIN_INVALID");
    expect(chain.message).toBe(`The disk's volume chain is refused: backing file ${HIDDEN_PATH} is outside ${HIDDEN_PATH}`);
    expect(JSON.stringify(operator)).not.toContain(stack.root);
    const admin = await refuse(Role.ADMIN);
    expect(admin.extensions.blockers.find((b: any) => b.code === "CHAIN_INVALID").message).toContain(domainPath);
  });

  it("an admin sees every one of them as stored", async () => {
    const data = await read(Role.ADMIN);
    const [domain] = data.storageDomains;
    expect(domain.path).toBe(domainPath);
    expect(domain.scanError).toContain(`${domainPath}/vm/leaf.qcow2`);
    expect(domain.statusReason).toBe(`${domainPath} is not mounted`);
    const [disk] = domain.disks;
    expect(disk.volumes[0].relPath).toBe("vm/leaf.qcow2");
    expect(disk.volumes[0].problem).toContain(domainPath);
    expect(disk.blockers[0].message).toContain("/etc/outside.raw");
    expect(disk.warnings[0].message).toContain(domainPath);
    expect(disk.estimateUnavailableReason).toBe("UNREADABLE");
    expect(disk.estimateDetail).toContain(domainPath);
    expect(disk.sparsifyJobs[0].outcomeMessage).toContain(domainPath);
    expect(disk.sparsifyJobs[0].error.message).toContain(domainPath);
    expect(data.hosts).toEqual([
      {
        name: "h1",
        virtSparsifyVersion: "virt-sparsify 1.54.1",
        qemuVersion: "qemu-img version 9.2.0",
        libvirt: { uri: LIBVIRT_URI, message: LIBVIRT_MESSAGE },
      },
    ]);
    expect(data.vms).toEqual([
      {
        name: "guest",
        disks: [
          {
            target: "vda",
            source: `${domainPath}/vm/leaf.qcow2`,
            backingStore: [{ source: `${domainPath}/base.qcow2`, format: "qcow2" }],
          },
        ],
      },
    ]);
    const scan = data.events.edges.find((e: any) => e.node.type === "SCAN_DONE").node;
    expect(scan).toEqual({ type: "SCAN_DONE", message: `Scanned ${domainPath}`, data: { root: domainPath } });
  });
});
