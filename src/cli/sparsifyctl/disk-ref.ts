import type { ApiClient } from "./api-client.js";
import { CliError, ExitCode } from "./exit-codes.js";

/** A disk named on the command line, resolved to its id. */
export interface DiskRef {
  id: string;
  alias: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Candidate {
  id: string;
  alias: string;
  storageDomain: { name: string };
}

/**
 * An id, or an alias that must name exactly one disk: aliases are unique only per storage domain,
 * and sparsifying "the wrong web" is not a guess to make for someone.
 */
export async function resolveDisk(api: ApiClient, ref: string): Promise<DiskRef> {
  if (UUID.test(ref)) {
    const { disk } = await api.request<{ disk: DiskRef | null }>(`query($id: ID!) { disk(id: $id) { id alias } }`, { id: ref });
    if (!disk) throw new CliError(ExitCode.USAGE, `No disk has the id ${ref}`);
    return disk;
  }
  const { disks } = await api.request<{ disks: { edges: { node: Candidate }[] } }>(
    `query($text: String!) { disks(first: 500, filter: { text: $text }) { edges { node { id alias storageDomain { name } } } } }`,
    { text: ref },
  );
  const matches = disks.edges.map((e) => e.node).filter((d) => d.alias === ref);
  if (matches.length === 0)
    throw new CliError(ExitCode.USAGE, `No disk is named ${ref} (sparsifyctl disks --text ${ref} lists similar ones)`);
  if (matches.length > 1) {
    const list = matches.map((d) => `  ${d.id}  (storage domain ${d.storageDomain.name})`).join("\n");
    throw new CliError(ExitCode.USAGE, `${matches.length} disks are named ${ref}; name one by its id:\n${list}`);
  }
  return matches[0]!;
}

/** Resolves every reference before anything is asked of the gateway, so a typo queues nothing. */
export async function resolveDisks(api: ApiClient, refs: string[]): Promise<DiskRef[]> {
  const resolved: DiskRef[] = [];
  for (const ref of refs) resolved.push(await resolveDisk(api, ref));
  return [...new Map(resolved.map((d) => [d.id, d])).values()];
}
