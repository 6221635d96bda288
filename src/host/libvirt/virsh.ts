import { randomBytes } from "node:crypto";
import { execa } from "execa";
import { dieWithService, OWN_SESSION } from "../own-session.js";
import { parseDomainXml, type DomainDescription } from "./domain-xml.js";

/** A domain as read from libvirt: its XML facts plus the state word `virsh domstate` prints. */
export interface DomainReading extends DomainDescription {
  state: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** One virsh argument stays well under Linux's 128 KiB per-argument limit at this many domains. */
const BATCH = 250;
const TIMEOUT_MS = 60_000;

/** `virsh …` as the service runs it: in a session of its own, dying with the service (own-session.ts). */
export function virshCommand(uri: string, args: readonly string[]): [string, string[]] {
  return dieWithService("virsh", ["-q", "-c", uri, ...args]);
}

/** Runs virsh against one URI; argv only, never a shell. */
export async function virsh(uri: string, args: string[], timeout = TIMEOUT_MS): Promise<string> {
  const [file, argv] = virshCommand(uri, args);
  const { stdout } = await execa(file, argv, {
    ...OWN_SESSION,
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

/** What a full resync read: every domain libvirt listed, and the ones read among them. */
export interface DomainsRead {
  /**
   * Every UUID `virsh list --all` gave. A domain listed but not read vanished between the list and
   * its read: it is not known to be gone, so only a UUID missing from this list may be deleted.
   */
  listed: string[];
  domains: DomainReading[];
}

/**
 * A read of libvirt that did not complete (virsh timed out, was killed, lost the connection, or
 * printed XML that does not parse). Never a partial answer: a domain left out of a resync would be
 * deleted with its attachments, freeing disks it may hold.
 */
export class LibvirtReadError extends Error {
  override name = "LibvirtReadError";
}

/** A failed command of the batch said the domain does not exist (undefined since the list). */
const vanished = (stderr: string, uuid: string) =>
  stderr.split("\n").some((line) => line.includes(uuid) && /failed to get domain|domain not found/i.test(line));

const firstError = (stderr: string) =>
  stderr
    .split("\n")
    .map((l) => l.trim())
    .find(Boolean);

/** `uuid → { state, xml }` from the marked sections of a batch's output. */
function sectionsOf(stdout: string, mark: string): Map<string, { state: string; xml: string }> {
  const out = new Map<string, { state: string; xml: string }>();
  const sections = stdout.split(mark).slice(1);
  for (let i = 0; i < sections.length; i++) {
    const head = sections[i]!.trimStart();
    if (!head.startsWith("D ")) continue;
    const next = sections[i + 1]?.trimStart();
    if (!next?.startsWith("X")) continue;
    i++;
    out.set(head.slice(2, 38), { state: head.slice(38).trim(), xml: next.slice(1).trim() });
  }
  return out;
}

/**
 * Reads state and XML of many domains with one virsh process per batch: virsh runs the
 * `;`-separated commands on one connection, which saves a process and a handshake per domain.
 * Only validated UUIDs go into the command string, so virsh's own quoting never matters.
 * virsh goes on after a failed command and exits with the last one's status, so each domain is
 * checked on its own: read, or said not to exist (undefined meanwhile); anything else throws.
 */
async function readBatch(uri: string, uuids: string[]): Promise<DomainReading[]> {
  const mark = `@@${randomBytes(8).toString("hex")}@@`;
  const commands = uuids.flatMap((u) => [`echo ${mark} D ${u}`, `domstate ${u}`, `echo ${mark} X`, `dumpxml ${u}`]);
  const run = await execa(...virshCommand(uri, [commands.join(" ; ")]), {
    ...OWN_SESSION,
    timeout: TIMEOUT_MS,
    reject: false,
    env: { LC_ALL: "C" },
  });
  if (run.timedOut) throw new LibvirtReadError(`virsh timed out after ${TIMEOUT_MS / 1000} s reading ${uuids.length} domains`);
  if (run.isTerminated) throw new LibvirtReadError(`virsh was killed (${run.signal}) while reading domains`);
  if (run.exitCode === undefined) throw new LibvirtReadError(`virsh did not run: ${run.message}`);
  const sections = sectionsOf(run.stdout, mark);
  const out: DomainReading[] = [];
  for (const uuid of uuids) {
    const read = sections.get(uuid);
    if (read?.state && read.xml) {
      let domain: DomainDescription;
      try {
        domain = parseDomainXml(read.xml);
      } catch (error) {
        throw new LibvirtReadError(`the XML of domain ${uuid} does not parse: ${(error as Error).message}`);
      }
      if (domain.uuid !== uuid) throw new LibvirtReadError(`virsh answered domain ${uuid} with the XML of ${domain.uuid}`);
      out.push({ ...domain, state: read.state });
    } else if (!vanished(run.stderr, uuid)) {
      throw new LibvirtReadError(
        `virsh did not read domain ${uuid}: ${firstError(run.stderr) ?? `exit code ${run.exitCode}, no output for it`}`,
      );
    }
  }
  return out;
}

/** Every domain's state and XML (a full resync). Throws when libvirt cannot be reached or a read fails. */
export async function readAllDomains(uri: string): Promise<DomainsRead> {
  const uuids = await listDomainUuids(uri);
  const batches: string[][] = [];
  for (let i = 0; i < uuids.length; i += BATCH) batches.push(uuids.slice(i, i + BATCH));
  // Two at a time: libvirtd answers in parallel, and these machines have few cores.
  const out: DomainReading[] = [];
  for (let i = 0; i < batches.length; i += 2) {
    const parts = await Promise.all(batches.slice(i, i + 2).map((b) => readBatch(uri, b)));
    for (const p of parts) out.push(...p);
  }
  return { listed: uuids, domains: out };
}

/** One domain by name (as events name it); null when it no longer exists. */
export async function readDomainByName(uri: string, name: string): Promise<DomainReading | null> {
  const run = (cmd: string) =>
    execa(...virshCommand(uri, [cmd, "--domain", name]), {
      ...OWN_SESSION,
      timeout: TIMEOUT_MS,
      reject: false,
      env: { LC_ALL: "C" },
    });
  const [state, xml] = await Promise.all([run("domstate"), run("dumpxml")]);
  if (state.exitCode !== 0 || xml.exitCode !== 0) {
    const stderr = `${state.stderr}\n${xml.stderr}`;
    if (/failed to get domain|Domain not found/i.test(stderr)) return null;
    throw new Error(stderr.trim() || "virsh failed");
  }
  try {
    return { ...parseDomainXml(xml.stdout), state: state.stdout.trim() };
  } catch (error) {
    throw new LibvirtReadError(`the XML of domain ${name} does not parse: ${(error as Error).message}`);
  }
}
