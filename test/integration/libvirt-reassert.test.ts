import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LibvirtState } from "../../src/entities/enums.js";
import { LibvirtSync } from "../../src/services/libvirt-sync.service.js";
import { requireTools } from "../support/require-tool.js";
import { startStack, type Stack } from "../support/stack.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The gateway marks a host UNREACHABLE when its heartbeat comes late (its VMs become UNKNOWN and
 * its disks blocked). A worker whose libvirt link never dropped must take that back by itself, at
 * its next resync, or the host's disks stay blocked until libvirt happens to disconnect.
 * libvirt's in-process test driver (test:///default) stands in for the hypervisor.
 */
describe.runIf(requireTools("virsh"))("a live libvirt link says CONNECTED again at each resync", () => {
  let stack: Stack;
  const hostState = async () =>
    (await stack.db.query(`SELECT "libvirtState" FROM host WHERE name = $1`, [stack.config.HOST_NAME]))[0]?.libvirtState;

  beforeAll(async () => {
    stack = await startStack({ env: { LIBVIRT_URI: "test:///default", LIBVIRT_RESYNC_MS: "500" } });
    await waitFor(async () => (await hostState()) === "CONNECTED", { what: "libvirt CONNECTED", timeout: 20_000 });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("a host marked UNREACHABLE while its link is up is CONNECTED again within a few resyncs", async () => {
    // What the reconciler writes for a host whose heartbeat lapsed (libvirt-silent-hosts.ts).
    await stack.db.query(`UPDATE host SET "libvirtState" = 'UNREACHABLE', "libvirtMessage" = 'late' WHERE name = $1`, [
      stack.config.HOST_NAME,
    ]);
    await waitFor(async () => (await hostState()) === "CONNECTED", { what: "CONNECTED again", timeout: 10_000 });
    const [row] = await stack.db.query(`SELECT "libvirtMessage" FROM host WHERE name = $1`, [stack.config.HOST_NAME]);
    expect(row.libvirtMessage).toBeNull();
  }, 30_000);

  it("the gateway's silent mark loses to a heartbeat that came after its read: nothing is written", async () => {
    // The reconciler read this host as silent; its worker heartbeat meanwhile (now()).
    await stack.db.query(`UPDATE host SET "heartbeatAt" = now() WHERE name = $1`, [stack.config.HOST_NAME]);
    const sync = new LibvirtSync(stack.db, stack.config.HOST_NAME, "test:///default");
    const written = await sync.setState(LibvirtState.UNREACHABLE, "late", { ifSilentForMs: 60_000 });
    expect(written).toBe(false);
    expect(await hostState()).toBe("CONNECTED");
    // The write that wins when the heartbeat really is that old: libvirt-sync.test.ts (a host with no worker).
  }, 30_000);
});
