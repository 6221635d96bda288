import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LibvirtMonitor, type LibvirtSink } from "../../src/host/libvirt/libvirt-monitor.js";
import type { DomainReading, DomainsRead } from "../../src/host/libvirt/virsh.js";
import { fakeDomain, installFakeVirsh, type FakeVirsh } from "../support/fake-virsh.js";

const A = "1a1c3f0e-2a4b-4c9d-9e8f-0123456789ab";
const B = "1b1c3f0e-2a4b-4c9d-9e8f-0123456789ab";

/** What the monitor told its sink, in order, with the time of each full resync. */
function recordingSink() {
  const log: string[] = [];
  const fullSyncs: { at: number; read: DomainsRead }[] = [];
  const changed: { name: string; domain: DomainReading | null }[] = [];
  const sink: LibvirtSink = {
    connected: async () => void log.push("connected"),
    unreachable: async (reason) => void log.push(`unreachable: ${reason}`),
    fullSync: async (read) => {
      log.push("fullSync");
      fullSyncs.push({ at: performance.now(), read });
    },
    domainChanged: async (name, domain) => void changed.push({ name, domain }),
    eventSeen: async () => void log.push("event"),
  };
  return { sink, log, fullSyncs, changed };
}

/** The libvirt monitor driven through its real virsh calls, against a scripted virsh (no libvirtd). */
describe("LibvirtMonitor", () => {
  let virsh: FakeVirsh;
  let monitor: LibvirtMonitor | null = null;
  const start = async (resyncMs: number, reconnectMs = 200) => {
    const rec = recordingSink();
    monitor = new LibvirtMonitor({ uri: "test:///fake", resyncMs, reconnectMs, log: pino({ level: "silent" }), sink: rec.sink });
    await monitor.start();
    return rec;
  };
  beforeAll(async () => {
    virsh = await installFakeVirsh();
  });
  afterEach(async () => {
    await monitor?.stop();
    monitor = null;
  });
  afterAll(() => virsh?.remove());

  it("runs a full resync on connect, then every LIBVIRT_RESYNC_MS, and no more once stopped", async () => {
    virsh.set({ domains: [fakeDomain(A, "vm-a", "running")] });
    const lists = virsh.listCalls();
    const rec = await start(400);
    const connectedAt = performance.now();
    expect(rec.log).toEqual(["connected", "fullSync"]);
    expect(rec.fullSyncs[0]!.read.domains.map((d) => d.name)).toEqual(["vm-a"]);
    await expect.poll(() => rec.fullSyncs.length, { timeout: 15_000, interval: 50 }).toBeGreaterThanOrEqual(4);
    // Each resync lists the domains once, and they come at the interval, not back to back: the
    // timer set off every one after the first, at most one per 400 ms since the connect.
    expect(virsh.listCalls() - lists).toBeGreaterThanOrEqual(rec.fullSyncs.length);
    expect(rec.fullSyncs.length - 1).toBeLessThanOrEqual(Math.floor((performance.now() - connectedAt) / 400) + 1);
    await monitor!.stop();
    // A resync the timer started just before the stop may still be starting its virsh (a node
    // process: slow on a loaded CI). Wait for a quiet second (at most ten tries; a monitor that
    // kept resyncing every 400 ms is never quiet, and fails below).
    let after = virsh.listCalls();
    for (let i = 0; i < 10; i++) {
      await sleep(1_000);
      if (virsh.listCalls() === after) break;
      after = virsh.listCalls();
    }
    await sleep(1_200);
    expect(virsh.listCalls()).toBe(after);
  });

  it("a longer interval resyncs less often", async () => {
    virsh.set({ domains: [fakeDomain(A, "vm-a", "running")] });
    const rec = await start(60_000);
    await sleep(1_500);
    expect(rec.fullSyncs).toHaveLength(1);
  });

  it("an event line is seen and re-reads that domain alone", async () => {
    virsh.set({ domains: [fakeDomain(A, "vm-a", "running"), fakeDomain(B, "vm-b", "shut off")] });
    const rec = await start(60_000);
    await virsh.emit("event 'lifecycle' for domain 'vm-b': Started Booted");
    await expect.poll(() => rec.changed.map((c) => c.name), { timeout: 10_000, interval: 50 }).toEqual(["vm-b"]);
    expect(rec.changed[0]!.domain).toMatchObject({ uuid: B, state: "shut off" });
    expect(rec.log).toContain("event");
    expect(rec.fullSyncs).toHaveLength(1);
  });

  it("a resync whose read fails reports libvirt unreachable and hands the sink no partial list; the reconnect resyncs", async () => {
    virsh.set({ domains: [fakeDomain(A, "vm-a", "running"), fakeDomain(B, "vm-b", "shut off")] });
    const rec = await start(300, 200);
    virsh.set({ domains: [fakeDomain(A, "vm-a", "running"), { ...fakeDomain(B, "vm-b", "shut off"), xml: "<domain>" }] });
    await expect
      .poll(() => rec.log.find((l) => l.startsWith("unreachable")), { timeout: 10_000, interval: 50 })
      .toMatch(/reading libvirt at test:\/\/\/fake failed: .*1b1c3f0e/);
    for (const s of rec.fullSyncs) expect(s.read.domains.map((d) => d.name)).toEqual(["vm-a", "vm-b"]);
    const syncs = rec.fullSyncs.length;
    virsh.set({ domains: [fakeDomain(A, "vm-a", "running"), fakeDomain(B, "vm-b", "shut off")] });
    await expect.poll(() => rec.fullSyncs.length, { timeout: 10_000, interval: 50 }).toBeGreaterThan(syncs);
    expect(rec.log.slice(rec.log.lastIndexOf("connected"))).toEqual(expect.arrayContaining(["connected", "fullSync"]));
  });
});
