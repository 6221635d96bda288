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
