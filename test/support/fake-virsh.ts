import fs from "node:fs/promises";
import { appendFileSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

/** A domain as the fake virsh reports it. */
export interface FakeDomain {
  uuid: string;
  name: string;
  /** As `virsh domstate` prints it: "running", "shut off"… */
  state: string;
  /** What `virsh dumpxml` prints (see fakeDomainXml; anything, to test broken XML). */
  xml: string;
}

export interface FakeScenario {
  domains: FakeDomain[];
  /** Every call fails as with libvirtd stopped; a running `virsh event --loop` ends. */
  unreachable?: boolean;
  /** UUIDs listed by `virsh list` but gone when read (undefined in between). */
  vanished?: string[];
  /** The batch read is killed (SIGKILL) once it printed this many domains. */
  killAfterDomains?: number;
}

export interface FakeVirsh {
  /** Replaces the scenario; the next virsh call answers from it. */
  set(scenario: FakeScenario): void;
  /** Every call's argv, in order. */
  calls(): string[][];
  /** How many `virsh list` ran (one per full resync). */
  listCalls(): number;
  /**
   * Prints a line on every running `virsh event --loop --all`, once one is listening: a fake that
   * is still starting (slow under a loaded CI) would skip a line appended before it was up.
   */
  emit(line: string): Promise<void>;
  /** Puts PATH back and removes the fake. */
  remove(): Promise<void>;
}

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "fake-virsh.mjs");

/**
 * Puts a fake `virsh` (fake-virsh.mjs) first on this process's PATH, so the code under test runs
 * its real execa calls against scripted answers: no libvirtd needed, and failures on demand.
 */
export async function installFakeVirsh(scenario: FakeScenario = { domains: [] }): Promise<FakeVirsh> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "fake-virsh-"));
  await fs.mkdir(path.join(dir, "bin"));
  const wrapper = path.join(dir, "bin", "virsh");
  await fs.writeFile(wrapper, `#!/bin/sh\nFAKE_VIRSH_DIR='${dir}' exec '${process.execPath}' '${SCRIPT}' "$@"\n`, {
    mode: 0o755,
  });
  // Written aside and renamed: a virsh reading it meanwhile sees the old scenario or the new, never half of one.
  const set = (s: FakeScenario) => {
    writeFileSync(path.join(dir, "scenario.json.new"), JSON.stringify(s));
    renameSync(path.join(dir, "scenario.json.new"), path.join(dir, "scenario.json"));
  };
  set(scenario);
  writeFileSync(path.join(dir, "calls.log"), "");
  const oldPath = process.env.PATH;
  process.env.PATH = `${path.join(dir, "bin")}:${oldPath ?? ""}`;
  const calls = () =>
    readFileSync(path.join(dir, "calls.log"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string[]);
  return {
    set,
    calls,
    listCalls: () => calls().filter((c) => c.includes("list")).length,
    async emit(line) {
      const deadline = Date.now() + 15_000;
      while (!liveListener(path.join(dir, "listening"))) {
        if (Date.now() > deadline) throw new Error("no fake `virsh event` started listening within 15 s");
        await sleep(20);
      }
      appendFileSync(path.join(dir, "events.log"), `${line}\n`);
    },
    async remove() {
      process.env.PATH = oldPath;
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether a fake `virsh event` that announced itself in `dir` is still alive (a SIGKILLed one leaves its file). */
function liveListener(dir: string): boolean {
  let pids: string[];
  try {
    pids = readdirSync(dir);
  } catch {
    return false;
  }
  return pids.some((pid) => {
    try {
      process.kill(Number(pid), 0);
      return true;
    } catch {
      return false;
    }
  });
}

/** A domain's XML as `virsh dumpxml` prints it, with file disks. */
export function fakeDomainXml(d: { uuid: string; name: string; disks?: { source: string; target: string; format?: string }[] }) {
  const disk = (k: { source: string; target: string; format?: string }) =>
    `<disk type='file' device='disk'><driver name='qemu' type='${k.format ?? "qcow2"}'/>` +
    `<source file='${k.source}'/><target dev='${k.target}' bus='virtio'/></disk>`;
  return (
    `<domain type='qemu'><name>${d.name}</name><uuid>${d.uuid}</uuid><memory unit='KiB'>65536</memory>` +
    `<devices>${(d.disks ?? []).map(disk).join("")}</devices></domain>`
  );
}

/** A FakeDomain with its XML. */
export const fakeDomain = (
  uuid: string,
  name: string,
  state: string,
  disks: { source: string; target: string; format?: string }[] = [],
): FakeDomain => ({ uuid, name, state, xml: fakeDomainXml({ uuid, name, disks }) });
