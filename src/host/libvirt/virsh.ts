import { randomBytes } from "node:crypto";
import { execa } from "execa";
import { parseDomainXml, type DomainDescription } from "./domain-xml.js";

/** A domain as read from libvirt: its XML facts plus the state word `virsh domstate` prints. */
export interface DomainReading extends DomainDescription {
  state: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** One virsh argument stays well under Linux's 128 KiB per-argument limit at this many domains. */
const BATCH = 250;
const TIMEOUT_MS = 60_000;

/** Runs virsh against one URI; argv only, never a shell. */
export async function virsh(uri: string, args: string[], timeout = TIMEOUT_MS): Promise<string> {
  const { stdout } = await execa("virsh", ["-q", "-c", uri, ...args], {
    timeout,
    stripFinalNewline: false,
    env: { LC_ALL: "C" },
  });
  return stdout;
}

/** UUIDs of every domain, defined or transient, in any state. */
export async function listDomainUuids(uri: string): Promise<string[]> {
  const out = await virsh(uri, ["list", "--all", "--uuid"]);
  return out
    .split("\n")
    .map((l) => l.trim().toLowerCase())
    .filter((l) => UUID.test(l));
}

/**
 * Reads state and XML of many domains with one virsh process per batch: virsh runs the
 * `;`-separated commands on one connection, which saves a process and a handshake per domain.
 * Only validated UUIDs go into the command string, so virsh's own quoting never matters.
 * A domain undefined meanwhile simply has no section (virsh goes on after a failed command).
 */
async function readBatch(uri: string, uuids: string[]): Promise<DomainReading[]> {
  const mark = `@@${randomBytes(8).toString("hex")}@@`;
  const commands = uuids.flatMap((u) => [`echo ${mark} D ${u}`, `domstate ${u}`, `echo ${mark} X`, `dumpxml ${u}`]);
  const { stdout } = await execa("virsh", ["-q", "-c", uri, commands.join(" ; ")], {
    timeout: TIMEOUT_MS,
    reject: false,
    env: { LC_ALL: "C" },
  });
  const out: DomainReading[] = [];
  const sections = stdout.split(mark).slice(1);
  for (let i = 0; i < sections.length; i++) {
    const head = sections[i]!.trimStart();
    if (!head.startsWith("D ")) continue;
    const uuid = head.slice(2, 38);
    const state = head.slice(38).trim();
    const next = sections[i + 1]?.trimStart();
    if (!next?.startsWith("X") || !state) continue; // domain vanished between list and read
    const xml = next.slice(1).trim();
    if (!xml) continue;
    i++;
    try {
      const domain = parseDomainXml(xml);
      if (domain.uuid === uuid) out.push({ ...domain, state });
    } catch {
      // Unparseable XML: left out of this pass; the next resync retries it.
    }
  }
  return out;
}

/** Every domain's state and XML (a full resync). Throws when libvirt cannot be reached. */
export async function readAllDomains(uri: string): Promise<DomainReading[]> {
  const uuids = await listDomainUuids(uri);
  const batches: string[][] = [];
  for (let i = 0; i < uuids.length; i += BATCH) batches.push(uuids.slice(i, i + BATCH));
  // Two at a time: libvirtd answers in parallel, and these machines have few cores.
  const out: DomainReading[] = [];
  for (let i = 0; i < batches.length; i += 2) {
    const parts = await Promise.all(batches.slice(i, i + 2).map((b) => readBatch(uri, b)));
    for (const p of parts) out.push(...p);
  }
  return out;
}

/** One domain by name (as events name it); null when it no longer exists. */
export async function readDomainByName(uri: string, name: string): Promise<DomainReading | null> {
  const run = (cmd: string) =>
    execa("virsh", ["-q", "-c", uri, cmd, "--domain", name], { timeout: TIMEOUT_MS, reject: false, env: { LC_ALL: "C" } });
  const [state, xml] = await Promise.all([run("domstate"), run("dumpxml")]);
  if (state.exitCode !== 0 || xml.exitCode !== 0) {
    const stderr = `${state.stderr}\n${xml.stderr}`;
    if (/failed to get domain|Domain not found/i.test(stderr)) return null;
    throw new Error(stderr.trim() || "virsh failed");
  }
  return { ...parseDomainXml(xml.stdout), state: state.stdout.trim() };
}
