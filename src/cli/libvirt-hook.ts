import fs from "node:fs/promises";
import { parseDomainXml } from "../host/libvirt/domain-xml.js";

/**
 * The body of the libvirt qemu hook (deploy/libvirt/hooks/qemu): reads the domain XML libvirt
 * passes on stdin, asks the gateway which of its disk images are LOCKED by a sparsify job, and
 * exits 3 (the shell hook turns it into 1: libvirt then refuses the start and shows our
 * stderr) when any is; a crash exits 1, which the hook reads as "allow". Everything else —
 * gateway down, slow, refusing the token, unreadable XML — exits 0: the hook fails open, because
 * qemu's own image lock still stops a start during the run itself.
 */
const MAX_XML = 4 * 1024 * 1024;
const LOCKED_EXIT = 3;

const USAGE = `Usage: node dist/src/cli/libvirt-hook.js DOMAIN < domain.xml

The body of libvirt's qemu hook (deploy/libvirt/hooks/qemu runs it for prepare/begin, restore/begin
and migrate/begin). Reads the domain XML on stdin and asks the gateway whether any of its disk
images is LOCKED by a sparsify job.

Exit codes: 3 when a disk is locked (the hook then refuses the start, printing why on stderr);
0 otherwise, and also when the gateway cannot be asked (fails open).

Environment (e.g. from /etc/sparsify-gateway/libvirt-hook.env):
  SPARSIFY_GATEWAY_URL       the gateway's GraphQL URL, e.g. http://127.0.0.1:4000/graphql
  SPARSIFY_GATEWAY_TOKEN     a viewer token
  SPARSIFY_HOOK_TIMEOUT_MS   how long to wait for the gateway (default 3000)`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_XML) throw new Error("domain XML larger than 4 MiB");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Every file the domain opens: each disk's source and its backing-store chain, as given and resolved. */
async function imagePaths(xml: string): Promise<string[]> {
  const { disks } = parseDomainXml(xml, { requireUuid: false });
  const given = disks
    .filter((d) => d.type === "file")
    .flatMap((d) => [d.source, ...d.backingStore.map((b) => b.source)])
    .filter((p): p is string => !!p);
  const resolved = await Promise.all(given.map((p) => fs.realpath(p).catch(() => p)));
  return [...new Set([...given, ...resolved])];
}

async function main(): Promise<number> {
  // libvirt passes the domain name first; a person asking for help gets it instead of a wait on stdin.
  if (process.argv[2] === "--help" || process.argv[2] === "-h") {
    console.log(USAGE);
    return 0;
  }
  const url = process.env.SPARSIFY_GATEWAY_URL;
  const token = process.env.SPARSIFY_GATEWAY_TOKEN;
  const timeout = Number(process.env.SPARSIFY_HOOK_TIMEOUT_MS) || 3_000;
  const domain = process.argv[2] ?? "?";
  const failOpen = (why: string) => {
    console.error(`sparsify-gateway hook: ${why}; allowing ${domain} to start (fail open)`);
    return 0;
  };
  if (!url) return failOpen("SPARSIFY_GATEWAY_URL is not set");
  let paths: string[];
  try {
    paths = await imagePaths(await readStdin());
  } catch (error) {
    return failOpen(`cannot read the domain XML: ${(error as Error).message}`);
  }
  if (paths.length === 0) return 0;
  let locked: { path: string; alias: string; jobId: string | null }[];
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({
        query: "query($p: [String!]!) { lockedImages(paths: $p) { path alias jobId } }",
        variables: { p: paths },
      }),
      signal: AbortSignal.timeout(timeout),
    });
    const body = (await res.json()) as { data?: { lockedImages?: typeof locked }; errors?: { message: string }[] };
    if (!body.data?.lockedImages)
      return failOpen(`gateway answered ${res.status}${body.errors?.[0] ? `: ${body.errors[0].message}` : ""}`);
    locked = body.data.lockedImages;
  } catch (error) {
    return failOpen(`gateway at ${url} unreachable: ${(error as Error).message}`);
  }
  if (locked.length === 0) return 0;
  for (const l of locked) {
    const job = l.jobId ? ` (job ${l.jobId})` : "";
    console.error(
      `sparsify-gateway: disk ${l.alias} (${l.path}) is being sparsified${job}; refusing to start ${domain} until it finishes`,
    );
  }
  return LOCKED_EXIT;
}

process.exitCode = await main();
