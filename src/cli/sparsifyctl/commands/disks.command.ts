import type { ApiClient } from "../api-client.js";
import { ExitCode } from "../exit-codes.js";
import { resolveDomainId } from "./domains.command.js";
import { humanBytes, renderTable } from "../text-format.js";

interface DiskRow {
  id: string;
  alias: string;
  format: string;
  virtualSize: number;
  actualSize: number;
  reclaimableEstimate: number | null;
  needsSparsify: boolean;
  sparsifiable: boolean;
  status: string;
  storageDomain: { name: string };
  sparsifyBlockers: { code: string; message: string }[];
}

export interface DisksOptions {
  domain?: string;
  sparsifiable?: boolean;
  blocked?: boolean;
  "needs-sparsify"?: boolean;
  text?: string;
  first?: string;
  json?: boolean;
}

/** `sparsifyctl disks`: the inventory as a table (or JSON), largest first. */
export async function disksCommand(api: ApiClient, opts: DisksOptions, out: NodeJS.WritableStream): Promise<ExitCode> {
  const filter: Record<string, unknown> = {};
  if (opts.domain) filter.storageDomainId = await resolveDomainId(api, opts.domain);
  if (opts.sparsifiable) filter.sparsifiable = true;
  if (opts.blocked) filter.sparsifiable = false;
  if (opts["needs-sparsify"]) filter.needsSparsify = true;
  if (opts.text) filter.text = opts.text;
  const first = opts.first ? Number(opts.first) : 100;
  const { disks } = await api.request<{ disks: { totalCount: number; edges: { node: DiskRow }[] } }>(
    `query($filter: DiskFilter, $first: Int) { disks(first: $first, filter: $filter, orderBy: { field: ACTUAL_SIZE, direction: DESC }) {
      totalCount edges { node { id alias format virtualSize actualSize reclaimableEstimate needsSparsify sparsifiable status
        storageDomain { name } sparsifyBlockers { code message } } } } }`,
    { filter, first },
  );
  const rows = disks.edges.map((e) => e.node);
  if (opts.json) {
    out.write(`${JSON.stringify(rows, null, 2)}\n`);
    return ExitCode.OK;
  }
  const table = rows.map((d) => [
    d.alias,
    d.storageDomain.name,
    d.format,
    humanBytes(d.virtualSize),
    humanBytes(d.actualSize),
    humanBytes(d.reclaimableEstimate),
    d.sparsifiable ? (d.needsSparsify ? "yes (needs it)" : "yes") : `no: ${d.sparsifyBlockers.map((b) => b.code).join(", ")}`,
    d.id,
  ]);
  out.write(
    `${renderTable(["ALIAS", "DOMAIN", "FORMAT", "VIRTUAL", "ACTUAL", "RECLAIMABLE", "SPARSIFIABLE", "ID"], table, new Set([3, 4, 5]))}\n`,
  );
  if (disks.totalCount > rows.length) out.write(`(${rows.length} of ${disks.totalCount}; --first N shows more)\n`);
  return ExitCode.OK;
}
